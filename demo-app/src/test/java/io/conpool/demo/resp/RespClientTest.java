package io.conpool.demo.resp;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Encoding commands and reading exactly one reply, including the bounds that protect against a hostile server. */
class RespClientTest {

    @Test
    void encodesAnArrayOfBulkStringsCountingUtf8Bytes() {
        assertThat(new String(RespClient.encode("SET", "clé", "v"), StandardCharsets.UTF_8))
                .isEqualTo("*3\r\n$3\r\nSET\r\n$4\r\nclé\r\n$1\r\nv\r\n");
        assertThatThrownBy(RespClient::encode).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void readsEachReplyType() throws IOException {
        assertThat(read("+OK\r\n")).isEqualTo(new RespReply.Simple("OK"));
        assertThat(read("-ERR no\r\n")).isEqualTo(new RespReply.Failure("ERR no"));
        assertThat(read("-ERR no\r\n").isFailure()).isTrue();
        assertThat(read(":-42\r\n")).isEqualTo(new RespReply.Number(-42));
        assertThat(((RespReply.Bulk) read("$5\r\nhe\r\no\r\n")).text()).isEqualTo("he\r\no");
        assertThat(((RespReply.Bulk) read("$0\r\n\r\n")).text()).isEmpty();
        assertThat(((RespReply.Bulk) read("$-1\r\n")).value()).isNull();
        assertThat(((RespReply.Array) read("*-1\r\n")).elements()).isNull();
        RespReply.Array array = (RespReply.Array) read("*3\r\n:1\r\n*1\r\n+in\r\n$1\r\nx\r\n");
        assertThat(array.elements()).hasSize(3);
        assertThat(array.elements().get(1)).isEqualTo(new RespReply.Array(List.of(new RespReply.Simple("in"))));
    }

    @Test
    void readsOneReplyAndNotABytePastIt() throws IOException {
        InputStream in = stream("+PONG\r\n$1\r\na\r\n");
        assertThat(RespClient.read(in)).isEqualTo(new RespReply.Simple("PONG"));
        assertThat(in.available()).isEqualTo("$1\r\na\r\n".length());
    }

    @Test
    void refusesWhatIsNotAReply() {
        assertThatThrownBy(() -> read("?what\r\n")).isInstanceOf(MalformedReplyException.class)
                .hasMessage("unexpected reply type byte 0x3f");
        assertThatThrownBy(() -> read(":12x\r\n")).isInstanceOf(MalformedReplyException.class)
                .hasMessage("bad integer '12x'");
        assertThatThrownBy(() -> read("$3\r\nabcd\r\n")).isInstanceOf(MalformedReplyException.class)
                .hasMessage("bulk string of 3 bytes not followed by CRLF");
        assertThatThrownBy(() -> read("+OK\rX")).isInstanceOf(MalformedReplyException.class);
    }

    @Test
    void refusesSizesBeyondItsBoundsBeforeAllocating() {
        assertThatThrownBy(() -> read("$2000000000\r\n")).isInstanceOf(MalformedReplyException.class)
                .hasMessage("bulk length 2000000000 outside 0-" + RespClient.MAX_BULK_LENGTH);
        assertThatThrownBy(() -> read("*99999999\r\n")).isInstanceOf(MalformedReplyException.class)
                .hasMessage("array length 99999999 outside 0-" + RespClient.MAX_ARRAY_LENGTH);
        assertThatThrownBy(() -> read("*1\r\n".repeat(RespClient.MAX_DEPTH + 1) + ":1\r\n"))
                .isInstanceOf(MalformedReplyException.class)
                .hasMessage("arrays nested deeper than " + RespClient.MAX_DEPTH);
        assertThatThrownBy(() -> read("+" + "x".repeat(70_000) + "\r\n")).isInstanceOf(MalformedReplyException.class);
    }

    @Test
    void aConnectionClosedMidReplyIsAnEofNotAnEmptyValue() {
        assertThatThrownBy(() -> read("")).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> read("$5\r\nab")).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> read("+OK")).isInstanceOf(EOFException.class);
    }

    private static RespReply read(String text) throws IOException {
        return RespClient.read(stream(text));
    }

    private static InputStream stream(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }
}
