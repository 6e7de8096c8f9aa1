package io.moonshard.controller.placement;

import java.util.Objects;

/** A plan, or the reason it cannot be made (not enough proxies, nodes or hosts), said for a person. */
public record Outcome<T>(T value, String refusal) {

    public Outcome {
        if ((value == null) == (refusal == null)) {
            throw new IllegalArgumentException("exactly one of a value and a refusal");
        }
    }

    public static <T> Outcome<T> ok(T value) {
        return new Outcome<>(Objects.requireNonNull(value, "value"), null);
    }

    public static <T> Outcome<T> refused(String reason) {
        return new Outcome<>(null, Objects.requireNonNull(reason, "reason"));
    }

    public boolean isOk() {
        return value != null;
    }

    /** The value; IllegalStateException with the refusal when there is none. */
    public T orElseThrow() {
        if (value == null) {
            throw new IllegalStateException(refusal);
        }
        return value;
    }
}
