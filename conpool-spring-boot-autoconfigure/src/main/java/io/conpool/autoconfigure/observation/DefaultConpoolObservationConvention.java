package io.conpool.autoconfigure.observation;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;

import javax.net.ssl.SSLException;

import io.conpool.AcquireInterruptedException;
import io.conpool.AcquireTimeoutException;
import io.conpool.CircuitOpenException;
import io.conpool.ConnectException;
import io.conpool.ConnectionPoolObserver.Phase;
import io.conpool.DnsResolutionException;
import io.conpool.Endpoint;
import io.conpool.PendingAcquiresExceededException;
import io.conpool.PoolClosedException;
import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;

/**
 * The pool's observations as the README describes them. Low-cardinality keys (also the tags of the timers Boot
 * derives from observations), the same set on every observation of one name:
 * <ul>
 * <li>{@code pool}: the pool's name;</li>
 * <li>{@code endpoint}: the endpoint's configured name, or {@value #OTHER} for endpoints met at run time (their host
 * names are unbounded, and may not be meant for every trace backend);</li>
 * <li>{@code outcome}: {@code success}, or what ended the phase ({@link #outcome(Throwable)}); {@code unknown} while
 * it runs;</li>
 * <li>{@code reused} ({@code conpool.acquire} only): {@code true} when an idle connection was handed out,
 * {@code false} when one was opened (or none was got), {@code unknown} while it runs.</li>
 * </ul>
 * High-cardinality keys (traces only), for named endpoints only: {@code server.address} and {@code server.port}.
 */
public class DefaultConpoolObservationConvention implements ConpoolObservationConvention {

    /** The {@code endpoint} value of endpoints without a configured name. */
    public static final String OTHER = "other";

    /** The value of {@code outcome} and {@code reused} while the phase runs (long task timers, started spans). */
    public static final String UNKNOWN = "unknown";

    @Override
    public String getContextualName(ConpoolObservationContext context) {
        String phase = "conpool " + context.getPhase().tag();
        return context.getEndpointName() != null ? phase + " " + context.getEndpointName() : phase;
    }

    @Override
    public KeyValues getLowCardinalityKeyValues(ConpoolObservationContext context) {
        String endpoint = context.getEndpointName() != null ? context.getEndpointName() : OTHER;
        String outcome = context.isEnded() ? outcome(context.getError()) : UNKNOWN;
        KeyValues values = KeyValues.of(KeyValue.of("pool", context.getPoolName()), KeyValue.of("endpoint", endpoint),
                KeyValue.of("outcome", outcome));
        if (context.getPhase() == Phase.ACQUIRE) {
            values = values.and("reused", context.isEnded() ? String.valueOf(context.isReused()) : UNKNOWN);
        }
        return values;
    }

    @Override
    public KeyValues getHighCardinalityKeyValues(ConpoolObservationContext context) {
        if (context.getEndpointName() == null) {
            return KeyValues.empty();
        }
        Endpoint endpoint = context.getEndpoint();
        return KeyValues.of(KeyValue.of("server.address", endpoint.host()),
                KeyValue.of("server.port", String.valueOf(endpoint.port())));
    }

    /**
     * The {@code outcome} of an ended phase: {@code success} without an error; else {@code timeout} (the caller's
     * acquire timeout, or a connect or handshake that ran out of time), {@code rejected} (too many waiters),
     * {@code circuit-open}, {@code pool-closed}, {@code interrupted}, {@code dns-failed}, {@code connect-failed} (an
     * acquire whose connect attempts all failed), {@code refused} (a connect attempt the peer refused),
     * {@code tls-failed} (an attempt or handshake ended by a TLS error), {@code io-error} or {@code error}.
     */
    protected String outcome(Throwable error) {
        if (error == null) {
            return "success";
        }
        if (error instanceof AcquireTimeoutException || error instanceof SocketTimeoutException) {
            return "timeout";
        }
        if (error instanceof PendingAcquiresExceededException) {
            return "rejected";
        }
        if (error instanceof CircuitOpenException) {
            return "circuit-open";
        }
        if (error instanceof PoolClosedException) {
            return "pool-closed";
        }
        if (error instanceof AcquireInterruptedException || error instanceof InterruptedIOException
                || error instanceof java.nio.channels.ClosedByInterruptException) {
            return "interrupted";
        }
        if (error instanceof DnsResolutionException) {
            return "dns-failed";
        }
        if (error instanceof ConnectException) {
            return "connect-failed";
        }
        if (error instanceof java.net.ConnectException) {
            return "refused";
        }
        if (error instanceof SSLException) {
            return "tls-failed";
        }
        if (error instanceof IOException) {
            return "io-error";
        }
        return "error";
    }
}
