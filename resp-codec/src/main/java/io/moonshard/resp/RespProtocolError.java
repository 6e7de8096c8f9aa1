package io.moonshard.resp;

/**
 * Emitted by {@link RespRequestDecoder} as its last message when a client breaks the protocol: the
 * handler replies {@code -<message>} after the replies of the commands decoded before it, then
 * closes the connection, as Redis does.
 *
 * @param message the error reply without {@code -} and CRLF, e.g.
 *                {@code ERR Protocol error: invalid bulk length}
 */
public record RespProtocolError(String message) {
}
