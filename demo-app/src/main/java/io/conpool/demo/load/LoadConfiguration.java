package io.conpool.demo.load;

import io.conpool.ConnectionPool;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The load generator, closed (its threads stopped) with the application. */
@Configuration(proxyBeanMethods = false)
public class LoadConfiguration {

    @Bean(destroyMethod = "close")
    LoadGenerator loadGenerator(ConnectionPool pool, LoadProperties limits) {
        return new LoadGenerator(pool, limits);
    }
}
