package io.conpool.demo.web;

import java.io.IOException;

import io.conpool.AcquireTimeoutException;
import io.conpool.CircuitOpenException;
import io.conpool.ConpoolException;
import io.conpool.PendingAcquiresExceededException;
import io.conpool.demo.load.LoadAlreadyRunningException;
import io.conpool.demo.resp.UnexpectedReplyException;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;

/**
 * Turns the demo API's failures into RFC 9457 problem details: bad parameters name the parameter and the value;
 * pool and backend failures say which, with the pool's message (it names the endpoint and the cause).
 */
@RestControllerAdvice(basePackageClasses = ApiErrorHandler.class)
public class ApiErrorHandler {

    @ExceptionHandler
    ProblemDetail invalidParameter(InvalidParameterException ex) {
        return badParameter(ex.parameter(), ex.value(), ex.getMessage());
    }

    @ExceptionHandler
    ProblemDetail notANumber(MethodArgumentTypeMismatchException ex) {
        String value = String.valueOf(ex.getValue());
        return badParameter(ex.getName(), value, ex.getName() + " must be a number, was '" + value + "'");
    }

    @ExceptionHandler
    ProblemDetail missingParameter(MissingServletRequestParameterException ex) {
        return badParameter(ex.getParameterName(), null, ex.getParameterName() + " is required");
    }

    @ExceptionHandler
    ProblemDetail unknownEndpoint(UnknownEndpointException ex) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, ex.getMessage());
        problem.setProperty("endpoint", ex.name());
        return problem;
    }

    @ExceptionHandler
    ProblemDetail loadRunning(LoadAlreadyRunningException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, ex.getMessage());
    }

    /** No connection could be had in time, or the endpoint refuses callers for now: try again later. */
    @ExceptionHandler({ AcquireTimeoutException.class, CircuitOpenException.class,
            PendingAcquiresExceededException.class })
    ProblemDetail poolBusy(ConpoolException ex) {
        return failure(HttpStatus.SERVICE_UNAVAILABLE, ex);
    }

    /** Connecting failed (DNS, refused, TLS), or any other pool failure. */
    @ExceptionHandler
    ProblemDetail poolFailure(ConpoolException ex) {
        return failure(HttpStatus.BAD_GATEWAY, ex);
    }

    /** The backend answered with an error, or broke the connection, or sent something that is not RESP. */
    @ExceptionHandler({ UnexpectedReplyException.class, IOException.class })
    ProblemDetail backendFailure(Exception ex) {
        return failure(HttpStatus.BAD_GATEWAY, ex);
    }

    private static ProblemDetail badParameter(String parameter, String value, String message) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, message);
        problem.setProperty("parameter", parameter);
        problem.setProperty("value", value);
        return problem;
    }

    private static ProblemDetail failure(HttpStatus status, Exception ex) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, ex.getMessage());
        problem.setProperty("exception", ex.getClass().getSimpleName());
        return problem;
    }
}
