package io.conpool.testkit;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a TLS ClientHello (RFC 8446 section 4.1.2) that tests check, parsed from the bytes a client sent:
 * the legacy version, the versions offered in {@code supported_versions}, and the SNI host name.
 *
 * @param legacyVersion e.g. {@code 0x0303}
 * @param supportedVersions from the {@code supported_versions} extension (empty if absent), e.g. {@code 0x0304}
 * @param serverName the SNI host name, or {@code null} if none was sent
 */
public record ClientHello(int legacyVersion, List<Integer> supportedVersions, String serverName) {

    /** TLS 1.0. */
    public static final int TLS_1_0 = 0x0301;

    /** TLS 1.1. */
    public static final int TLS_1_1 = 0x0302;

    /** TLS 1.2. */
    public static final int TLS_1_2 = 0x0303;

    /** TLS 1.3. */
    public static final int TLS_1_3 = 0x0304;

    /**
     * Parses the first handshake message from raw bytes, joining records as needed.
     *
     * @throws IllegalArgumentException if the bytes do not start with a TLS ClientHello
     */
    public static ClientHello parse(byte[] wire) {
        ByteBuffer handshake = ByteBuffer.wrap(handshakeBytes(wire));
        int type = u8(handshake);
        if (type != 1) {
            throw new IllegalArgumentException("first handshake message is type " + type + ", not ClientHello (1)");
        }
        int length = u24(handshake);
        if (handshake.remaining() < length) {
            throw new IllegalArgumentException("ClientHello truncated: " + handshake.remaining() + " of " + length);
        }
        int legacyVersion = u16(handshake);
        skip(handshake, 32); // random
        skip(handshake, u8(handshake)); // session id
        skip(handshake, u16(handshake)); // cipher suites
        skip(handshake, u8(handshake)); // compression methods
        List<Integer> versions = new ArrayList<>();
        String sni = null;
        if (handshake.remaining() >= 2) {
            int end = u16(handshake) + handshake.position();
            while (handshake.position() + 4 <= end) {
                int extType = u16(handshake);
                int extLen = u16(handshake);
                ByteBuffer ext = handshake.slice();
                ext.limit(extLen);
                skip(handshake, extLen);
                if (extType == 0x002b) {
                    int n = u8(ext);
                    for (int i = 0; i < n / 2; i++) {
                        versions.add(u16(ext));
                    }
                }
                else if (extType == 0x0000 && extLen > 0) {
                    u16(ext); // list length
                    int nameType = u8(ext);
                    int nameLen = u16(ext);
                    byte[] name = new byte[nameLen];
                    ext.get(name);
                    if (nameType == 0) {
                        sni = new String(name, StandardCharsets.US_ASCII);
                    }
                }
            }
        }
        return new ClientHello(legacyVersion, List.copyOf(versions), sni);
    }

    /** Every version the client offers: {@code supported_versions} if present, else the legacy version. */
    public List<Integer> offeredVersions() {
        return supportedVersions.isEmpty() ? List.of(legacyVersion) : supportedVersions;
    }

    /** Whether the first byte is a TLS handshake record (0x16), as a TLS client's first flight always is. */
    public static boolean looksLikeTls(byte[] wire) {
        return wire.length >= 3 && wire[0] == 0x16 && wire[1] == 0x03;
    }

    private static byte[] handshakeBytes(byte[] wire) {
        ByteBuffer records = ByteBuffer.wrap(wire);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (records.remaining() >= 5) {
            int contentType = u8(records);
            u16(records);
            int len = u16(records);
            if (contentType != 0x16) {
                if (out.size() == 0) {
                    throw new IllegalArgumentException("not a TLS handshake record: content type " + contentType);
                }
                break;
            }
            byte[] fragment = new byte[Math.min(len, records.remaining())];
            records.get(fragment);
            out.write(fragment, 0, fragment.length);
        }
        if (out.size() == 0) {
            throw new IllegalArgumentException("no TLS record in " + wire.length + " bytes");
        }
        return out.toByteArray();
    }

    private static int u8(ByteBuffer b) {
        return b.get() & 0xff;
    }

    private static int u16(ByteBuffer b) {
        return b.getShort() & 0xffff;
    }

    private static int u24(ByteBuffer b) {
        return (u8(b) << 16) | u16(b);
    }

    private static void skip(ByteBuffer b, int n) {
        b.position(b.position() + n);
    }
}
