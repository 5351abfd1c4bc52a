package io.conpool;

import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

import javax.net.ssl.SSLContext;

/**
 * TLS settings of an {@link Endpoint}: the trust material ({@link SSLContext}), the SNI server name, whether the
 * server's certificate must match the host name, and the protocol versions offered.
 *
 * <p>All of these are part of the endpoint's identity: two endpoints that differ in any of them never share a
 * connection. The {@code SSLContext} is compared by identity (the same context object means the same trust).
 *
 * <p>Material that changes while the application runs (a rotated client certificate, a new CA) comes from a
 * source instead ({@link Builder#sslContextSource(Supplier)}): the source, not the context it gives, is then the
 * identity, so the endpoint stays the same pool key across a rotation. After the source gives a new context, tell the
 * pool ({@link ConnectionPool#tlsMaterialChanged(Endpoint)}) so that connections made with the old one close.
 *
 * <p>Defaults are safe: the JDK's default trust store, SNI = the endpoint's host name (never sent for IP
 * literals), host name verification on, TLS 1.3 and 1.2 only.
 */
public final class Tls {

    /** Protocol versions offered unless told otherwise; TLS 1.0 and 1.1 are never offered by default. */
    public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /** The fixed context; {@code null} when the material comes from {@link #source}. */
    private final SSLContext sslContext;

    /** Where the current context comes from, or {@code null} for a fixed one. */
    private final Supplier<SSLContext> source;

    private final String serverName;

    private final boolean verifyHostname;

    private final List<String> protocols;

    private Tls(Builder b) {
        this.source = b.source;
        this.sslContext = b.source != null ? null : b.sslContext != null ? b.sslContext : defaultContext();
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

    /**
     * The context whose trust (and key) managers are used for the handshake: the fixed one, or what the source gives
     * now (asked for every new connection).
     *
     * @throws IllegalStateException if the source gives {@code null}
     */
    public SSLContext sslContext() {
        if (source == null) {
            return sslContext;
        }
        SSLContext current = source.get();
        if (current == null) {
            throw new IllegalStateException("the SSLContext source of " + this + " gave null");
        }
        return current;
    }

    /** The source the context comes from ({@link Builder#sslContextSource}), or {@code null} for a fixed context. */
    public Supplier<SSLContext> sslContextSource() {
        return source;
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
        Builder b = source != null ? new Builder().sslContextSource(source) : new Builder().sslContext(sslContext);
        return b.serverName(serverName).verifyHostname(verifyHostname).protocols(protocols);
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
        return identity() == other.identity() && verifyHostname == other.verifyHostname
                && Objects.equals(serverName, other.serverName) && protocols.equals(other.protocols);
    }

    @Override
    public int hashCode() {
        return Objects.hash(System.identityHashCode(identity()), serverName, verifyHostname, protocols);
    }

    /** What equality compares by identity: the source when there is one, so a rotation keeps the endpoint equal. */
    private Object identity() {
        return source != null ? source : sslContext;
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

        private Supplier<SSLContext> source;

        private String serverName;

        private boolean verifyHostname = true;

        private List<String> protocols = DEFAULT_PROTOCOLS;

        private Builder() {
        }

        /** Trust (and client key) material; default: {@link SSLContext#getDefault()}. Replaces a source. */
        public Builder sslContext(SSLContext sslContext) {
            this.sslContext = sslContext;
            this.source = null;
            return this;
        }

        /**
         * Trust (and client key) material that may change while the pool runs, such as a certificate reloaded from
         * files. The source is asked for every new connection, so it must be quick and give the same context object
         * until the material changes (cache it; never build a context per call). Endpoints compare the source by
         * identity: keep one source per set of material. Replaces a fixed context.
         */
        public Builder sslContextSource(Supplier<SSLContext> source) {
            this.source = Objects.requireNonNull(source, "source");
            this.sslContext = null;
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
