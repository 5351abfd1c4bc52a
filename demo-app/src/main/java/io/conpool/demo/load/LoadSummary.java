package io.conpool.demo.load;

import java.util.Map;

/**
 * What a load run did.
 *
 * @param endpoint the endpoint's name
 * @param concurrency workers that ran at once
 * @param requested operations asked for
 * @param attempted operations started (fewer than requested only if the run hit {@code demo.load.max-duration})
 * @param succeeded operations that completed with the expected replies
 * @param failed operations that threw
 * @param failures failed operations per exception type (simple class name)
 * @param firstFailure the message of the first failure, or {@code null}
 * @param holdMillis how long each operation held its connection on purpose
 * @param durationMillis wall time of the run
 * @param opsPerSecond succeeded operations per second of wall time
 * @param acquire time from asking the pool to holding a connection, for succeeded operations
 * @param operation time of the whole operation (acquire, SET, GET, hold, release), for succeeded operations
 * @param stoppedAtDeadline whether the run stopped early at {@code demo.load.max-duration}
 */
public record LoadSummary(String endpoint, int concurrency, int requested, int attempted, int succeeded, int failed,
        Map<String, Long> failures, String firstFailure, long holdMillis, long durationMillis, double opsPerSecond,
        LatencySummary acquire, LatencySummary operation, boolean stoppedAtDeadline) {
}
