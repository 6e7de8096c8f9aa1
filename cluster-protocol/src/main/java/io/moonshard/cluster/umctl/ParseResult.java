package io.moonshard.cluster.umctl;

/**
 * A parser's outcome: a value, or the exact error reply (without {@code -} and CRLF) for the client.
 * Parsers in this package never throw for bad input.
 */
public record ParseResult<T>(T value, String error) {

    public static <T> ParseResult<T> ok(T value) {
        return new ParseResult<>(value, null);
    }

    public static <T> ParseResult<T> error(String error) {
        return new ParseResult<>(null, error);
    }

    public boolean isOk() {
        return error == null;
    }
}
