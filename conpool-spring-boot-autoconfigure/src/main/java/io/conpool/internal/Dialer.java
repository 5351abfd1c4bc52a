package io.conpool.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.conpool.AcquireInterruptedException;
import io.conpool.ConnectException;
import io.conpool.ConnectTimeoutException;
import io.conpool.ConnectionPoolObserver;
import io.conpool.ConpoolException;
import io.conpool.Endpoint;
import io.conpool.PoolConfig;
import io.conpool.Ticker;
import io.conpool.Tls;

/**
 * Dials connections for the {@link SocketFactory}: resolve (through the cache) → connect, trying each address in turn within the attempt's
 * budget → TLS handshake with SNI and host name verification → the protocol's handshake, if the endpoint has a
 * protocol handler ({@link Init}) → a {@link Connection}. Retries up to {@code connectAttempts} times with doubling
 * backoff, never past the caller's deadline. Any socket it opens and does not hand over is closed before it returns.
 */
final class Dialer {

    private static final Logger log = LoggerFactory.getLogger(Dialer.class);

    private final DnsCache dns;

    private final Ticker ticker;

    /** {@code null} when the pool has no observer. */
    private final Observers observers;

    /** Whether to switch sockets to non-blocking mode after connecting ({@link NonBlockingSockets}). */
    private final boolean nonBlockingSockets = NonBlockingSockets.enabled();

    /**
     * The protocol's handshake on a connection just opened, within the attempt's deadline. A throw fails the attempt
     * like a refused connect; the implementation closes the connection before it throws.
     */
    @FunctionalInterface
    interface Init {

        void run(Connection c, long deadlineNanos) throws IOException;
    }

    Dialer(DnsCache dns, Ticker ticker, Observers observers) {
        this.dns = dns;
        this.ticker = ticker;
        this.observers = observers;
    }

    /**
     * Opens one connection, or throws a {@link ConpoolException} describing the last failure.
     *
     * @param deadlineNanos {@link System#nanoTime()} by which to give up
     * @param init the protocol's handshake, part of each attempt; {@code null} for none
     */
    Connection open(Endpoint endpoint, PoolConfig config, int generation, long deadlineNanos, Init init) {
        int attempts = config.connectAttempts();
        long backoffNanos = config.connectBackoff().toNanos();
        Throwable last = null;
        // The last failure that was the endpoint's doing; a timeout cut short by the caller's deadline is not.
        Throwable endpointFailure = null;
        boolean endpointTimedOut = false;
        int made = 0;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            long now = System.nanoTime();
            if (attempt > 1) {
                long pause = Math.min(backoffNanos << Math.min(attempt - 2, 20), deadlineNanos - now);
                if (pause > 0) {
                    sleep(endpoint, pause);
                }
                now = System.nanoTime();
            }
            if (deadlineNanos - now <= 0) {
                break;
            }
            made++;
            long fullAttemptDeadline = now + config.connectionTimeout().toNanos();
            boolean callerDeadlineBinds = deadlineNanos - fullAttemptDeadline < 0;
            long attemptDeadline = callerDeadlineBinds ? deadlineNanos : fullAttemptDeadline;
            try {
                Connection c = attempt(endpoint, config, generation, attemptDeadline);
                if (init != null) {
                    init.run(c, attemptDeadline); // its failure is this attempt's: retried, counted, seen by the breaker
                }
                return c;
            }
            catch (ClosedByInterruptException | InterruptedIOException ex) {
                if (!(ex instanceof SocketTimeoutException)) {
                    Thread.currentThread().interrupt();
                    throw new AcquireInterruptedException(endpoint, new InterruptedException(ex.toString()));
                }
                last = ex;
                if (!callerDeadlineBinds) {
                    endpointFailure = ex;
                    endpointTimedOut = true;
                }
            }
            catch (IOException ex) {
                last = ex;
                endpointFailure = ex;
                endpointTimedOut = false;
            }
            catch (ConpoolException ex) {
                throw ex;
            }
            catch (RuntimeException ex) {
                // e.g. an SSLContext that cannot make sockets: not worth retrying, but never lose the slot over it
                throw new ConnectException(endpoint, made, ex);
            }
            log.debug("connect attempt {}/{} to {} failed: {}", attempt, attempts, endpoint, last.toString());
        }
        if (endpointFailure == null) {
            // Nothing the endpoint did: the deadline passed before an attempt could start, or cut one short.
            throw new CallerDeadlineException(endpoint, made, last);
        }
        if (endpointTimedOut) {
            throw new ConnectTimeoutException(endpoint, made, config.connectionTimeout(), endpointFailure);
        }
        throw new ConnectException(endpoint, made, endpointFailure);
    }

    /** One connect attempt: the host's addresses (cached DNS), then each in turn; observed if there are observers. */
    private Connection attempt(Endpoint endpoint, PoolConfig config, int generation, long attemptDeadline)
            throws IOException {
        if (observers == null) {
            return connectAny(endpoint, config, addresses(endpoint), generation, attemptDeadline);
        }
        Observers.Observed attempt = observers.start(ConnectionPoolObserver.Phase.CONNECT, endpoint);
        Connection c;
        try {
            c = connectAny(endpoint, config, addresses(endpoint), generation, attemptDeadline);
        }
        catch (IOException | RuntimeException | Error ex) {
            attempt.failed(ex);
            throw ex;
        }
        attempt.succeeded(false);
        return c;
    }

    private List<InetAddress> addresses(Endpoint endpoint) {
        if (endpoint.isIpLiteral()) {
            try {
                return List.of(InetAddress.getByName(endpoint.host())); // a literal: parsed, never looked up
            }
            catch (IOException ex) {
                throw new ConnectException(endpoint, 0, ex);
            }
        }
        return dns.resolve(endpoint.host());
    }

    private Connection connectAny(Endpoint endpoint, PoolConfig config, List<InetAddress> addresses, int generation,
            long attemptDeadline) throws IOException {
        IOException last = null;
        for (int i = 0; i < addresses.size(); i++) {
            long remaining = attemptDeadline - System.nanoTime();
            if (remaining <= 0) {
                break;
            }
            // Share what is left among the addresses still to try, so one black hole cannot eat the budget.
            long share = remaining / (addresses.size() - i);
            InetSocketAddress target = new InetSocketAddress(addresses.get(i), endpoint.port());
            try {
                return connect(endpoint, config, target, generation, System.nanoTime() + share, attemptDeadline);
            }
            catch (ClosedByInterruptException ex) {
                throw ex;
            }
            catch (IOException ex) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new ClosedByInterruptException();
                }
                last = ex;
                if (isTlsFailure(ex)) {
                    throw ex; // the server answered: another address would not change its certificate
                }
            }
        }
        if (last == null) {
            throw new SocketTimeoutException("connect timed out");
        }
        throw last;
    }

    private Connection connect(Endpoint endpoint, PoolConfig config, InetSocketAddress target, int generation,
            long connectDeadline, long handshakeDeadline) throws IOException {
        long started = ticker.nanoTime();
        SocketChannel channel = SocketChannel.open();
        SSLSocket ssl = null;
        try {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
            channel.socket().connect(target, millisUntil(connectDeadline));
            if (nonBlockingSockets) {
                NonBlockingSockets.switchToNonBlocking(channel); // before the handshake: its timed reads gain too
            }
            if (endpoint.isTls()) {
                ssl = handshake(endpoint, channel, handshakeDeadline);
            }
            double jitter = config.lifetimeJitter() == 0 ? 0 : ThreadLocalRandom.current().nextDouble(config.lifetimeJitter());
            long lifetime = (long) (config.maxConnectionLifetime().toNanos() * (1 - jitter));
            return new Connection(channel, ssl, target, started, lifetime, generation);
        }
        catch (IOException | RuntimeException ex) {
            closeQuietly(ssl, channel);
            throw ex;
        }
    }

    private SSLSocket handshake(Endpoint endpoint, SocketChannel channel, long deadline) throws IOException {
        Tls tls = endpoint.tls();
        String name = tls.serverName() != null ? tls.serverName() : endpoint.host();
        SSLSocket ssl = (SSLSocket) tls.sslContext().getSocketFactory().createSocket(channel.socket(), name,
                endpoint.port(), true);
        SSLParameters params = ssl.getSSLParameters();
        params.setProtocols(tls.protocols().toArray(String[]::new));
        if (tls.verifyHostname()) {
            params.setEndpointIdentificationAlgorithm("HTTPS");
        }
        else {
            params.setEndpointIdentificationAlgorithm(null);
        }
        // SNI carries a host name only: never an IP literal (nor a name SNI cannot carry, such as one with '_').
        params.setServerNames(sniFor(name));
        ssl.setSSLParameters(params);
        ssl.setSoTimeout(millisUntil(deadline));
        if (observers == null) {
            ssl.startHandshake();
        }
        else {
            observedHandshake(endpoint, ssl);
        }
        ssl.setSoTimeout(0);
        return ssl;
    }

    private void observedHandshake(Endpoint endpoint, SSLSocket ssl) throws IOException {
        Observers.Observed handshake = observers.start(ConnectionPoolObserver.Phase.HANDSHAKE, endpoint);
        try {
            ssl.startHandshake();
        }
        catch (IOException | RuntimeException | Error ex) {
            handshake.failed(ex);
            throw ex;
        }
        handshake.succeeded(false);
    }

    private static List<javax.net.ssl.SNIServerName> sniFor(String name) {
        if (isIpLiteral(name)) {
            return List.of();
        }
        try {
            return List.of(new SNIHostName(name));
        }
        catch (IllegalArgumentException ex) {
            log.debug("not sending SNI for '{}': {}", name, ex.getMessage());
            return List.of();
        }
    }

    private static boolean isIpLiteral(String name) {
        return name.indexOf(':') >= 0 || name.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    }

    private static boolean isTlsFailure(IOException ex) {
        return ex instanceof javax.net.ssl.SSLException;
    }

    private static int millisUntil(long deadlineNanos) throws SocketTimeoutException {
        long ms = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        if (ms <= 0) {
            throw new SocketTimeoutException("no time left to connect");
        }
        return (int) Math.min(Integer.MAX_VALUE, ms);
    }

    private static void sleep(Endpoint endpoint, long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new AcquireInterruptedException(endpoint, ex);
        }
    }

    private static void closeQuietly(SSLSocket ssl, SocketChannel channel) {
        try {
            if (ssl != null) {
                ssl.close();
            }
        }
        catch (IOException ignored) {
            // already failing
        }
        try {
            channel.close();
        }
        catch (IOException ignored) {
            // already failing
        }
    }
}
