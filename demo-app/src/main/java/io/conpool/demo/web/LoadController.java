package io.conpool.demo.web;

import java.time.Duration;

import io.conpool.Endpoint;
import io.conpool.demo.load.LoadGenerator;
import io.conpool.demo.load.LoadProperties;
import io.conpool.demo.load.LoadSummary;

import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /api/load?concurrency=16&count=2000&holdMillis=5&endpoint=cache}: runs the load generator and answers
 * with its summary once the run is over. Parameters may also come as a form body. Values out of bounds get 400
 * naming the parameter and the value; a second run while one is in progress gets 409.
 */
@RestController
public class LoadController {

    private final LoadGenerator generator;

    private final NamedEndpoints endpoints;

    public LoadController(LoadGenerator generator, NamedEndpoints endpoints) {
        this.generator = generator;
        this.endpoints = endpoints;
    }

    @PostMapping("/api/load")
    public LoadSummary run(@RequestParam int concurrency, @RequestParam int count,
            @RequestParam(defaultValue = "0") long holdMillis, @RequestParam(defaultValue = "cache") String endpoint) {
        LoadProperties limits = generator.limits();
        if (concurrency < 1 || concurrency > limits.getMaxConcurrency()) {
            throw new InvalidParameterException("concurrency", concurrency,
                    "must be 1-" + limits.getMaxConcurrency() + " (demo.load.max-concurrency)");
        }
        if (count < 1 || count > limits.getMaxCount()) {
            throw new InvalidParameterException("count", count,
                    "must be 1-" + limits.getMaxCount() + " (demo.load.max-count)");
        }
        long maxHoldMillis = limits.getMaxHold().toMillis();
        if (holdMillis < 0 || holdMillis > maxHoldMillis) {
            throw new InvalidParameterException("holdMillis", holdMillis,
                    "must be 0-" + maxHoldMillis + " (demo.load.max-hold)");
        }
        Endpoint target = endpoints.byName(endpoint);
        return generator.run(endpoint, target, concurrency, count, Duration.ofMillis(holdMillis));
    }
}
