package io.conpool.demo.resp;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One RESP2 reply, as read by {@link RespClient#read}. An error reply ({@code -ERR ...}) is a value like any other:
 * the server answered, the connection is in a known state and may be reused.
 */
public sealed interface RespReply {

    /** A simple string, such as {@code +OK} or {@code +PONG}. */
    record Simple(String text) implements RespReply {
    }

    /** An error reply, such as {@code -ERR unknown command 'HELLO'}; {@code message} has no leading dash. */
    record Failure(String message) implements RespReply {
    }

    /** An integer reply, such as {@code :1}. */
    record Number(long value) implements RespReply {
    }

    /** A bulk string; {@code value} is {@code null} for the null bulk string {@code $-1} (a missing key). */
    record Bulk(byte[] value) implements RespReply {

        /** The value as UTF-8 text, or {@code null}. */
        public String text() {
            return value == null ? null : new String(value, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return value == null ? "Bulk[null]" : "Bulk[" + text() + "]";
        }
    }

    /** An array; {@code elements} is {@code null} for the null array {@code *-1}. */
    record Array(List<RespReply> elements) implements RespReply {
    }

    /** Whether this is an error reply. */
    default boolean isFailure() {
        return this instanceof Failure;
    }
}
