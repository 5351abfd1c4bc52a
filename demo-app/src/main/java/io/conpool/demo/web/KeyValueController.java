package io.conpool.demo.web;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import io.conpool.Endpoint;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code PUT /api/keys/{key}} (body: the value as text) and {@code GET /api/keys/{key}}, on the endpoint named by
 * {@code ?endpoint=} ({@code cache} by default), each over a pooled connection.
 */
@RestController
@RequestMapping("/api/keys")
public class KeyValueController {

    /** Longest key accepted, in bytes of UTF-8. */
    static final int MAX_KEY_BYTES = 256;

    /** Longest value accepted, in bytes of UTF-8 (the embedded backend's default limit). */
    static final int MAX_VALUE_BYTES = 16 * 1024;

    private final KeyValueService keyValues;

    private final NamedEndpoints endpoints;

    public KeyValueController(KeyValueService keyValues, NamedEndpoints endpoints) {
        this.keyValues = keyValues;
        this.endpoints = endpoints;
    }

    @PutMapping(path = "/{key}", consumes = MediaType.TEXT_PLAIN_VALUE)
    public Stored set(@PathVariable String key, @RequestBody(required = false) String value,
            @RequestParam(defaultValue = "cache") String endpoint) throws IOException {
        checkKey(key);
        String text = value == null ? "" : value;
        int valueBytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (valueBytes > MAX_VALUE_BYTES) {
            throw new InvalidParameterException("value", valueBytes + " bytes",
                    "must be at most " + MAX_VALUE_BYTES + " bytes");
        }
        Endpoint target = endpoints.byName(endpoint);
        keyValues.set(target, key, text);
        return new Stored(endpoint, key, true);
    }

    @GetMapping("/{key}")
    public ResponseEntity<?> get(@PathVariable String key, @RequestParam(defaultValue = "cache") String endpoint)
            throws IOException {
        checkKey(key);
        Endpoint target = endpoints.byName(endpoint);
        return keyValues.get(target, key)
                .<ResponseEntity<?>>map(value -> ResponseEntity.ok(new Found(endpoint, key, value)))
                .orElseGet(() -> {
                    ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND,
                            "no key '" + key + "' on endpoint " + endpoint);
                    problem.setProperty("key", key);
                    return ResponseEntity.status(HttpStatus.NOT_FOUND).body(problem);
                });
    }

    /** Answer of a PUT. */
    public record Stored(String endpoint, String key, boolean stored) {
    }

    /** Answer of a GET that found the key. */
    public record Found(String endpoint, String key, String value) {
    }

    private static void checkKey(String key) {
        int bytes = key.getBytes(StandardCharsets.UTF_8).length;
        if (key.isBlank() || bytes > MAX_KEY_BYTES) {
            throw new InvalidParameterException("key", "'" + key + "'",
                    "must be 1-" + MAX_KEY_BYTES + " bytes and not blank");
        }
    }
}
