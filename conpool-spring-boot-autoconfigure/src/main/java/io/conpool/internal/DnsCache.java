package io.conpool.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.conpool.DnsResolutionException;
import io.conpool.Resolver;
import io.conpool.Ticker;

/**
 * Caches the {@link Resolver}'s answers per host name: answers for the TTL, failures for the (short) negative TTL,
 * at most {@code maxSize} names (expired entries go first, then arbitrary ones). When a fresh answer differs from
 * the one it replaces, the listener hears which addresses remain, so connections to dropped ones can retire.
 */
final class DnsCache {

    private static final Logger log = LoggerFactory.getLogger(DnsCache.class);

    /** Hears that a host's answer changed. */
    interface ChangeListener {
        void addressesChanged(String host, List<InetAddress> now);
    }

    private record Entry(List<InetAddress> addresses, UnknownHostException failure, long expiresAtNanos) {
    }

    private final Resolver resolver;

    private final long ttlNanos;

    private final long negativeTtlNanos;

    private final int maxSize;

    private final Ticker ticker;

    private final ChangeListener listener;

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    DnsCache(Resolver resolver, Duration ttl, Duration negativeTtl, int maxSize, Ticker ticker, ChangeListener listener) {
        this.resolver = resolver;
        this.ttlNanos = ttl.toNanos();
        this.negativeTtlNanos = negativeTtl.toNanos();
        this.maxSize = maxSize;
        this.ticker = ticker;
        this.listener = listener;
    }

    /**
     * The host's addresses, from the cache while fresh.
     *
     * @throws DnsResolutionException if the host does not resolve (now, or within the negative TTL)
     */
    List<InetAddress> resolve(String host) {
        Entry e = entries.get(host);
        long now = ticker.nanoTime();
        if (e == null || now - e.expiresAtNanos >= 0) {
            e = lookup(host, e, now);
        }
        if (e.failure != null) {
            throw new DnsResolutionException(host, "resolving " + host + ": " + describe(e.failure), e.failure);
        }
        return e.addresses;
    }

    /** Whether {@code host} has an entry that expired by {@code nowNanos} (a map read: no lookup). */
    boolean isExpired(String host, long nowNanos) {
        Entry e = entries.get(host);
        return e != null && nowNanos - e.expiresAtNanos >= 0;
    }

    /** Looks the host up again if its entry has expired (the background sweep calls this for hosts in use). */
    void refreshIfExpired(String host) {
        long now = ticker.nanoTime();
        if (isExpired(host, now)) {
            lookup(host, entries.get(host), now);
        }
    }

    int size() {
        return entries.size();
    }

    private Entry lookup(String host, Entry previous, long now) {
        Entry fresh;
        try {
            List<InetAddress> answer = resolver.resolve(host);
            if (answer == null || answer.isEmpty()) {
                throw new UnknownHostException(host + ": no addresses");
            }
            fresh = new Entry(List.copyOf(answer), null, now + ttlNanos);
        }
        catch (UnknownHostException ex) {
            fresh = new Entry(null, ex, now + negativeTtlNanos);
        }
        catch (RuntimeException ex) {
            UnknownHostException wrapped = new UnknownHostException(host + ": resolver failed: " + ex);
            wrapped.initCause(ex);
            fresh = new Entry(null, wrapped, now + negativeTtlNanos);
        }
        if (entries.size() >= maxSize && !entries.containsKey(host)) {
            evictOne(now);
        }
        entries.put(host, fresh);
        if (fresh.addresses != null && previous != null && previous.addresses != null
                && !new HashSet<>(previous.addresses).equals(new HashSet<>(fresh.addresses))) {
            log.info("DNS answer for {} changed: {} -> {}", host, previous.addresses, fresh.addresses);
            listener.addressesChanged(host, fresh.addresses);
        }
        return fresh;
    }

    private void evictOne(long now) {
        Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
        String victim = null;
        while (it.hasNext()) {
            Map.Entry<String, Entry> e = it.next();
            if (now - e.getValue().expiresAtNanos >= 0) {
                it.remove();
                return;
            }
            if (victim == null) {
                victim = e.getKey();
            }
        }
        if (victim != null) {
            entries.remove(victim);
        }
    }

    private static String describe(UnknownHostException ex) {
        String m = ex.getMessage();
        return m == null ? "unknown host" : m;
    }
}
