package io.conpool;

import java.util.Objects;

/**
 * Where connections go: a host, a port, and TLS settings or none. Endpoints are values: two equal endpoints share
 * one set of pooled connections, and endpoints that differ in anything (including any TLS setting) never share a
 * connection.
 *
 * <p>Validated on creation: the host must be a host name, an IPv4 literal or an IPv6 literal (with or without
 * brackets), with no scheme or path; the port must be 1–65535. Violations throw {@link InvalidEndpointException}
 * quoting the value.
 */
public final class Endpoint {

    private final String host;

    private final int port;

    private final Tls tls;

    private final int hash;

    private Endpoint(String host, int port, Tls tls) {
        this.host = host;
        this.port = port;
        this.tls = tls;
        this.hash = Objects.hash(host, port, tls);
    }

    /** A plaintext endpoint. */
    public static Endpoint of(String host, int port) {
        return new Endpoint(HostNames.normalize(host), checkPort(port, host + ":" + port), null);
    }

    /** A TLS endpoint. */
    public static Endpoint of(String host, int port, Tls tls) {
        return of(host, port).withTls(Objects.requireNonNull(tls, "tls"));
    }

    /**
     * Parses {@code host:port}, {@code 10.0.0.1:80} or {@code [::1]:6379} into a plaintext endpoint.
     *
     * @throws InvalidEndpointException naming the string when it is not of that form
     */
    public static Endpoint parse(String hostAndPort) {
        if (hostAndPort == null || hostAndPort.isBlank()) {
            throw new InvalidEndpointException(String.valueOf(hostAndPort), "expected host:port");
        }
        String s = hostAndPort.trim();
        if (s.contains("://")) {
            throw new InvalidEndpointException(hostAndPort, "expected host:port without a scheme");
        }
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new InvalidEndpointException(hostAndPort, "expected host:port");
        }
        String host = s.substring(0, colon);
        if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
            throw new InvalidEndpointException(hostAndPort, "an IPv6 address needs brackets, as in [::1]:6379");
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        }
        catch (NumberFormatException ex) {
            throw new InvalidEndpointException(hostAndPort, "port '" + s.substring(colon + 1) + "' is not a number");
        }
        return new Endpoint(HostNames.normalize(host), checkPort(port, hostAndPort), null);
    }

    /** The same host and port with these TLS settings ({@code null}: plaintext). */
    public Endpoint withTls(Tls tls) {
        return new Endpoint(host, port, tls);
    }

    /** Host name or IP literal; IPv6 literals without brackets. */
    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** TLS settings, or {@code null} for plaintext. */
    public Tls tls() {
        return tls;
    }

    public boolean isTls() {
        return tls != null;
    }

    /** Whether the host is an IP literal (no DNS, no SNI). */
    public boolean isIpLiteral() {
        return HostNames.isIpLiteral(host);
    }

    /** {@code host:port}, with brackets around IPv6 literals; the form {@link #parse} reads. */
    public String address() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Endpoint)) {
            return false;
        }
        Endpoint other = (Endpoint) o;
        return port == other.port && host.equals(other.host) && Objects.equals(tls, other.tls);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** {@code host:port}, prefixed with {@code tls:} for TLS endpoints. Never contains secrets. */
    @Override
    public String toString() {
        return tls == null ? address() : "tls:" + address();
    }

    private static int checkPort(int port, String context) {
        if (port < 1 || port > 65535) {
            throw new InvalidEndpointException(context, "port " + port + " is outside 1-65535");
        }
        return port;
    }
}
