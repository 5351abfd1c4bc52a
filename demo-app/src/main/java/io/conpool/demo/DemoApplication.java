package io.conpool.demo;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * The conpool demo: an embedded RESP backend as the {@code cache} endpoint, a small HTTP API that uses the pool
 * ({@code /api/keys/{key}}, {@code /api/load}), a live page at {@code /} and the actuator at {@code /actuator}.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class DemoApplication {

    public static void main(String[] args) {
        SpringApplication.run(DemoApplication.class, args);
    }
}
