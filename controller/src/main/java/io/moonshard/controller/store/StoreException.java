package io.moonshard.controller.store;

/** The store did not answer in time, or refused: nothing is known to have changed. */
public final class StoreException extends RuntimeException {

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreException(String message) {
        super(message);
    }
}
