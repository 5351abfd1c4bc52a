package io.conpool.autoconfigure.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and key values of the pool's observations. Define a bean of this type (for instance a subclass of
 * {@link DefaultConpoolObservationConvention}) to change them; the default is
 * {@link DefaultConpoolObservationConvention}.
 */
public interface ConpoolObservationConvention extends ObservationConvention<ConpoolObservationContext> {

    @Override
    default boolean supportsContext(Observation.Context context) {
        return context instanceof ConpoolObservationContext;
    }
}
