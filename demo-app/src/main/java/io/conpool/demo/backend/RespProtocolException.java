package io.conpool.demo.backend;

import java.io.IOException;

/** A client sent bytes that are not a RESP command; the server answers with a protocol error and hangs up. */
final class RespProtocolException extends IOException {

    private static final long serialVersionUID = 1L;

    RespProtocolException(String message) {
        super(message);
    }
}
