package io.moonshard.resp;

import io.netty.buffer.ByteBuf;
import io.netty.util.AsciiString;

/**
 * Cheap questions about one reply frame (as {@link RespReplyDecoder} emits them) that the proxy must
 * act on, answered without parsing the frame or allocating.
 */
public final class RespFrames {

    private RespFrames() {
    }

    /** The type byte: {@code + - : $ *} or a RESP3 type ({@code _ , # ( ! = % ~ > |}). */
    public static byte type(ByteBuf frame) {
        return frame.getByte(frame.readerIndex());
    }

    /** A simple ({@code -}) or bulk ({@code !}) error. */
    public static boolean isError(ByteBuf frame) {
        byte t = type(frame);
        return t == '-' || t == '!';
    }

    /** A RESP3 push ({@code >}): out-of-band data such as a pub/sub message. */
    public static boolean isPush(ByteBuf frame) {
        return type(frame) == '>';
    }

    /** Whether a simple error's first word is exactly {@code code} (e.g. MOVED, ASK, TRYAGAIN). */
    public static boolean errorCodeEquals(ByteBuf frame, AsciiString code) {
        int start = frame.readerIndex();
        if (frame.getByte(start) != '-' || frame.readableBytes() < code.length() + 3) {
            return false;
        }
        for (int i = 0; i < code.length(); i++) {
            if (frame.getByte(start + 1 + i) != code.byteAt(i)) {
                return false;
            }
        }
        byte after = frame.getByte(start + 1 + code.length());
        return after == ' ' || after == '\r';
    }
}
