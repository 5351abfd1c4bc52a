package io.conpool.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A loopback port nobody listens on, so a connect to it is refused at once (RST). Found by binding an ephemeral
 * port and closing it again, then checking that a connect is really refused.
 */
public final class RefusedPort {

    private RefusedPort() {
    }

    /** A refused port on 127.0.0.1. */
    public static int find() {
        return find("127.0.0.1");
    }

    /** A refused port on the given loopback address (e.g. {@code 127.0.0.2}). */
    public static int find(String loopbackAddress) {
        try {
            InetAddress address = InetAddress.getByName(loopbackAddress);
            for (int i = 0; i < 10; i++) {
                int port;
                try (ServerSocket s = new ServerSocket()) {
                    s.setReuseAddress(false);
                    s.bind(new InetSocketAddress(address, 0), 1);
                    port = s.getLocalPort();
                }
                if (isRefused(address, port)) {
                    return port;
                }
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException("finding a refused port on " + loopbackAddress, ex);
        }
        throw new IllegalStateException("found no refused port on " + loopbackAddress + " in 10 tries");
    }

    private static boolean isRefused(InetAddress address, int port) throws IOException {
        try (Socket probe = new Socket()) {
            probe.connect(new InetSocketAddress(address, port), 1_000);
            return false; // someone took it meanwhile
        }
        catch (java.net.ConnectException expected) {
            return true;
        }
    }
}
