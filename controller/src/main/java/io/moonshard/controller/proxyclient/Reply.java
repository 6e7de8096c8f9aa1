package io.moonshard.controller.proxyclient;

/**
 * A proxy's answer to a command that changes it: {@link Outcome#OK}, {@link Outcome#OLD_EPOCH} (it has
 * newer or the same metadata: done before, as undermoon's coordinator counts it), {@link
 * Outcome#REFUSED} with the error text, or {@link Outcome#UNREACHABLE}.
 */
public record Reply(Outcome outcome, String detail) {

    public enum Outcome {
        OK, OLD_EPOCH, REFUSED, UNREACHABLE
    }

    /** Done: applied now or before. */
    public boolean done() {
        return outcome == Outcome.OK || outcome == Outcome.OLD_EPOCH;
    }

    static Reply of(io.moonshard.resp.RespValue value) {
        if (value instanceof io.moonshard.resp.RespValue.SimpleString) {
            return new Reply(Outcome.OK, "OK");
        }
        if (value instanceof io.moonshard.resp.RespValue.ErrorValue e) {
            return e.message().startsWith("OLD_EPOCH") ? new Reply(Outcome.OLD_EPOCH, e.message())
                    : new Reply(Outcome.REFUSED, e.message());
        }
        return new Reply(Outcome.REFUSED, "unexpected reply " + value);
    }
}
