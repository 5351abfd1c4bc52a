package io.conpool;

import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Objects;

import javax.net.ssl.SSLContext;

/**
 * TLS settings of an {@link Endpoint}: the trust material ({@link SSLContext}), the SNI server name, whether the
 * server's certificate must match the host name, and the protocol versions offered.
 *
 * <p>All of these are part of the endpoint's identity: two endpoints that differ in any of them never share a
 * connection. The {@code SSLContext} is compared by identity (the same context object means the same trust).
 *
 * <p>Defaults are safe: the JDK's default trust store, SNI = the endpoint's host name (never sent for IP
 * literals), host name verification on, TLS 1.3 and 1.2 only.
 */
public final class Tls {

    /** Protocol versions offered unless told otherwise; TLS 1.0 and 1.1 are never offered by default. */
    public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    private final SSLContext sslContext;

    private final String serverName;

    private final boolean verifyHostname;

    private final List<String> protocols;

    private Tls(Builder b) {
        this.sslContext = b.sslContext != null ? b.sslContext : defaultContext();
        this.serverName = b.serverName;
        this.verifyHostname = b.verifyHostname;
        this.protocols = List.copyOf(b.protocols);
    }

    /** TLS with the JDK's default trust store, SNI and host name verification from the endpoint's host. */
    public static Tls defaults() {
        return builder().build();
    }

    /** TLS trusting what the given context trusts; everything else as {@link #defaults()}. */
    public static Tls of(SSLContext sslContext) {
        return builder().sslContext(sslContext).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The context whose trust (and key) managers are used for the handshake. */
    public SSLContext sslContext() {
        return sslContext;
    }

    /** The SNI name and the name verified against the certificate; {@code null} means the endpoint's host. */
    public String serverName() {
        return serverName;
    }

    /** Whether the server certificate must match the server name. On by default. */
    public boolean verifyHostname() {
        return verifyHostname;
    }

    /** Protocol versions offered in the handshake. */
    public List<String> protocols() {
        return protocols;
    }

    public Builder toBuilder() {
        return new Builder().sslContext(sslContext).serverName(serverName).verifyHostname(verifyHostname)
                .protocols(protocols);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Tls)) {
            return false;
        }
        Tls other = (Tls) o;
        return sslContext == other.sslContext && verifyHostname == other.verifyHostname
                && Objects.equals(serverName, other.serverName) && protocols.equals(other.protocols);
    }

    @Override
    public int hashCode() {
        return Objects.hash(System.identityHashCode(sslContext), serverName, verifyHostname, protocols);
    }

    @Override
    public String toString() {
        return "Tls[serverName=" + (serverName == null ? "<host>" : serverName) + ", verifyHostname=" + verifyHostname
                + ", protocols=" + protocols + "]";
    }

    private static SSLContext defaultContext() {
        try {
            return SSLContext.getDefault();
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException("the JDK has no default SSLContext", ex);
        }
    }

    /** Builds {@link Tls} settings; unset values take the safe defaults. */
    public static final class Builder {

        private SSLContext sslContext;

        private String serverName;

        private boolean verifyHostname = true;

        private List<String> protocols = DEFAULT_PROTOCOLS;

        private Builder() {
        }

        /** Trust (and client key) material; default: {@link SSLContext#getDefault()}. */
        public Builder sslContext(SSLContext sslContext) {
            this.sslContext = sslContext;
            return this;
        }

        /** SNI name and verified name, when it differs from the endpoint's host; {@code null} for the host. */
        public Builder serverName(String serverName) {
            if (serverName != null && (serverName.isBlank() || serverName.chars().anyMatch(Character::isWhitespace))) {
                throw new InvalidConfigException("tls.serverName", "'" + serverName + "'",
                        "must be a host name without spaces");
            }
            this.serverName = serverName;
            return this;
        }

        /**
         * Whether the certificate must match the server name. Turning this off accepts any certificate the trust
         * material accepts, for any name; the pool logs a warning for each endpoint that does so.
         */
        public Builder verifyHostname(boolean verifyHostname) {
            this.verifyHostname = verifyHostname;
            return this;
        }

        /** Protocol versions to offer, e.g. {@code TLSv1.3}. Must not be empty. */
        public Builder protocols(List<String> protocols) {
            Objects.requireNonNull(protocols, "protocols");
            if (protocols.isEmpty()) {
                throw new InvalidConfigException("tls.protocols", protocols, "must name at least one protocol");
            }
            this.protocols = protocols;
            return this;
        }

        public Tls build() {
            return new Tls(this);
        }
    }
}
