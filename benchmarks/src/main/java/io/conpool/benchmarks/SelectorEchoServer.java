package io.conpool.benchmarks;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The backend of the scale scenario: one thread and one selector serve every listening address and every
 * connection (read 64 bytes, write them back). Per connection it keeps the same few objects whatever the history of
 * the connection, so heap measurements of the client side are not blurred by server threads' stacks.
 */
final class SelectorEchoServer implements AutoCloseable {

    private final Selector selector;

    private final List<InetSocketAddress> addresses = new ArrayList<>();

    private final List<ServerSocketChannel> listeners = new ArrayList<>();

    private final AtomicInteger open = new AtomicInteger();

    private final Thread thread;

    private volatile boolean closed;

    SelectorEchoServer(List<InetAddress> bindAddresses) throws IOException {
        selector = Selector.open();
        try {
            for (InetAddress a : bindAddresses) {
                ServerSocketChannel ss = ServerSocketChannel.open();
                listeners.add(ss);
                ss.bind(new InetSocketAddress(a, 0), 4096);
                ss.configureBlocking(false);
                ss.register(selector, SelectionKey.OP_ACCEPT);
                addresses.add(new InetSocketAddress(a, ((InetSocketAddress) ss.getLocalAddress()).getPort()));
            }
        }
        catch (IOException ex) {
            close();
            throw ex;
        }
        thread = Thread.ofPlatform().daemon().name("scale-server").start(this::loop);
    }

    List<InetSocketAddress> addresses() {
        return addresses;
    }

    int openConnections() {
        return open.get();
    }

    private void loop() {
        try {
            while (!closed) {
                selector.select();
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    if (!k.isValid()) {
                        continue;
                    }
                    if (k.isAcceptable()) {
                        SocketChannel c;
                        while ((c = ((ServerSocketChannel) k.channel()).accept()) != null) {
                            c.configureBlocking(false);
                            c.register(selector, SelectionKey.OP_READ, ByteBuffer.allocate(LoopbackServer.MESSAGE_BYTES));
                            open.incrementAndGet();
                        }
                    }
                    else if (k.isReadable()) {
                        serve(k);
                    }
                }
            }
        }
        catch (IOException | RuntimeException ex) {
            if (!closed) {
                ex.printStackTrace();
            }
        }
    }

    private void serve(SelectionKey k) {
        SocketChannel c = (SocketChannel) k.channel();
        ByteBuffer buf = (ByteBuffer) k.attachment();
        try {
            int n = c.read(buf);
            if (n < 0) {
                drop(k);
                return;
            }
            if (!buf.hasRemaining()) {
                buf.flip();
                while (buf.hasRemaining()) {
                    c.write(buf); // 64 bytes into an empty loopback send buffer: done at once
                }
                buf.clear();
            }
        }
        catch (IOException ex) {
            drop(k);
        }
    }

    private void drop(SelectionKey k) {
        k.cancel();
        try {
            k.channel().close();
        }
        catch (IOException ignored) {
            // closing
        }
        open.decrementAndGet();
    }

    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        if (thread != null) {
            try {
                thread.join(5_000);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
        for (SelectionKey k : selector.keys()) {
            try {
                k.channel().close();
            }
            catch (IOException ignored) {
                // closing
            }
        }
        try {
            selector.close();
        }
        catch (IOException ignored) {
            // closing
        }
    }
}
