package io.moonshard.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Builds requests as RESP bytes: {@code encode("SET", "k", "v")} is {@code *3\r\n$3\r\nSET\r\n...}. */
public final class RespCommands {

    private RespCommands() {
    }

    public static byte[] encode(String... args) {
        RespCommand command = RespCommand.of(args);
        try {
            byte[] out = new byte[command.frame().readableBytes()];
            command.frame().getBytes(command.frame().readerIndex(), out);
            return out;
        } finally {
            command.release();
        }
    }

    /** The same bytes in a new heap buffer the caller owns. */
    public static ByteBuf encodeToBuffer(String... args) {
        return Unpooled.wrappedBuffer(encode(args));
    }
}
