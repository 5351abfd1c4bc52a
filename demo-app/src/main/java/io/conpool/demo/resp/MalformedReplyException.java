package io.conpool.demo.resp;

import java.io.IOException;

/**
 * The server's bytes are not a RESP reply (or exceed the client's bounds). The connection's protocol state is then
 * unknown: it must be destroyed, never reused.
 */
public final class MalformedReplyException extends IOException {

    private static final long serialVersionUID = 1L;

    public MalformedReplyException(String message) {
        super(message);
    }
}
