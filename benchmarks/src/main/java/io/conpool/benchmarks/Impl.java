package io.conpool.benchmarks;

import java.util.List;
import java.util.stream.Stream;

/** The implementations compared, with the names used in tables and in benchmark-results.json. */
enum Impl {

    /** One connection per thread (and per endpoint), opened once: the physical limit, no pool. */
    DEDICATED("dedicated"),

    /** Connect (and, for TLS, a full handshake: the session cache is emptied) for every request. */
    PER_REQUEST("connect-per-request"),

    /** TLS only: connect per request with the JDK's session resumption left on (each thread's own context). */
    PER_REQUEST_RESUMED("connect-per-request-resumed"),

    /** commons-pool2 GenericKeyedObjectPool, default settings (only the per-key limit set). */
    COMMONS_POOL2_DEFAULT("commons-pool2-default"),

    /** commons-pool2 configured deliberately: JMX off, reuseCapacityOnReturn off, maxIdlePerKey = maxTotalPerKey, fair. */
    COMMONS_POOL2_TUNED("commons-pool2-tuned"),

    /**
     * commons-pool2 GenericKeyedObjectPool with exactly the settings conpool runs it with (LIFO, no blocking, no
     * fairness, no capacity reuse, no detailed statistics, no JMX, no per-key cap), without conpool's gate and rules:
     * what conpool's own layer costs on top.
     */
    COMMONS_POOL2_AS_CONPOOL("commons-pool2-as-conpool"),

    /** Apache HttpCore 5 StrictConnPool holding sockets. */
    HTTPCORE_STRICT("httpcore-strict"),

    /** Apache HttpCore 5 LaxConnPool holding sockets. */
    HTTPCORE_LAX("httpcore-lax"),

    /** conpool with default settings (only the per-endpoint limit set); liveness check on every borrow. */
    CONPOOL("conpool"),

    /**
     * conpool as above, built with {@code -Dio.conpool.nonBlockingSockets=false}: its sockets stay in blocking mode,
     * so each probe switches the mode there and back (five system calls instead of one). For the design comparison.
     */
    CONPOOL_BLOCKING_SOCKETS("conpool-blocking-sockets"),

    /** conpool with {@code maxTotalConnections} set below what the endpoints could hold (end-to-end, 100 endpoints). */
    CONPOOL_MAX_TOTAL("conpool-max-total");

    final String id;

    Impl(String id) {
        this.id = id;
    }

    /**
     * The pools compared under saturation. Not {@link #COMMONS_POOL2_AS_CONPOOL}: without conpool's gate it has no
     * per-key cap, so it would open a connection per thread.
     */
    static final List<Impl> POOLS = List.of(COMMONS_POOL2_DEFAULT, COMMONS_POOL2_TUNED, HTTPCORE_STRICT, HTTPCORE_LAX,
            CONPOOL);

    /** The pools plus conpool with blocking sockets, for the end-to-end scenarios. */
    static final List<Impl> POOLS_AND_VARIANT = Stream.concat(POOLS.stream(), Stream.of(CONPOOL_BLOCKING_SOCKETS))
            .toList();

    static Impl byId(String id) {
        for (Impl i : values()) {
            if (i.id.equals(id)) {
                return i;
            }
        }
        throw new IllegalArgumentException("unknown implementation '" + id + "'");
    }
}
