package io.conpool.demo.resp;

/**
 * The server answered, but not what the command expects: an error reply ({@code -ERR ...}) or a reply of another
 * type or value. The connection itself is fine; whether to reuse it is the caller's choice.
 */
public final class UnexpectedReplyException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient RespReply reply;

    public UnexpectedReplyException(String command, RespReply reply) {
        super(describe(command, reply));
        this.reply = reply;
    }

    public UnexpectedReplyException(String command, String message) {
        super(command + ": " + message);
        this.reply = null;
    }

    /** The reply received, or {@code null} if the problem was its content rather than its type. */
    public RespReply reply() {
        return reply;
    }

    private static String describe(String command, RespReply reply) {
        if (reply instanceof RespReply.Failure failure) {
            return command + " failed: " + failure.message();
        }
        return command + ": unexpected reply " + reply;
    }
}
