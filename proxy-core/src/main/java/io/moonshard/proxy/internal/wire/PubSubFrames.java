package io.moonshard.proxy.internal.wire;

import io.moonshard.cluster.slot.SlotHash;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads the subscription count out of the confirmations Redis sends on a pub/sub connection
 * ({@code [subscribe, channel, 3]}, as a RESP2 array or a RESP3 push), so the proxy knows when the
 * client leaves subscribed mode, and the channel of a shard confirmation, so it knows each client's
 * shard subscriptions per slot. Messages and anything else are left alone.
 */
public final class PubSubFrames {

    /** What a confirmation counts: channels and patterns together, or shard channels (Redis 7.0). */
    public enum Kind { CLASSIC, SHARD }

    /**
     * A shard channel confirmation: {@code subscribed} (SSUBSCRIBE) or not (SUNSUBSCRIBE), the channel's
     * bytes as a Latin-1 string (one char per byte), and its hash slot.
     */
    public record ShardConfirmation(boolean subscribed, String channel, int slot) {
    }

    private PubSubFrames() {
    }

    /**
     * The channel and slot of an SSUBSCRIBE / SUNSUBSCRIBE confirmation ({@code [ssubscribe, channel, n]});
     * null for any other frame, or when it names no channel (SUNSUBSCRIBE with nothing subscribed).
     */
    public static ShardConfirmation shardConfirmation(ByteBuf frame) {
        if (confirmationKind(frame) != Kind.SHARD) {
            return null;
        }
        int i = frame.readerIndex();
        int nameLengthEnd = frame.indexOf(i + 5, frame.writerIndex(), (byte) '\r');
        int nameLength = Integer.parseInt(frame.toString(i + 5, nameLengthEnd - i - 5, StandardCharsets.US_ASCII));
        boolean subscribed = nameLength == "ssubscribe".length();
        int channelHeader = nameLengthEnd + 2 + nameLength + 2;
        if (channelHeader >= frame.writerIndex() || frame.getByte(channelHeader) != '$') {
            return null;
        }
        int channelLengthEnd = frame.indexOf(channelHeader + 1, frame.writerIndex(), (byte) '\r');
        if (channelLengthEnd < 0) {
            return null;
        }
        int channelLength;
        try {
            channelLength = Integer.parseInt(frame.toString(channelHeader + 1, channelLengthEnd - channelHeader - 1,
                    StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return null;
        }
        int channelStart = channelLengthEnd + 2;
        if (channelLength < 0 || channelStart + channelLength > frame.writerIndex()) {
            return null;
        }
        return new ShardConfirmation(subscribed,
                frame.toString(channelStart, channelLength, StandardCharsets.ISO_8859_1),
                SlotHash.slot(frame, channelStart, channelLength));
    }

    /** The confirmation's kind, or null when {@code frame} is not a (un)subscribe confirmation. */
    public static Kind confirmationKind(ByteBuf frame) {
        int i = frame.readerIndex();
        if (frame.readableBytes() < 12) {
            return null;
        }
        byte type = frame.getByte(i);
        if ((type != '*' && type != '>') || frame.getByte(i + 1) != '3' || frame.getByte(i + 2) != '\r'
                || frame.getByte(i + 4) != '$') {
            return null;
        }
        int lengthEnd = frame.indexOf(i + 5, Math.min(i + 8, frame.writerIndex()), (byte) '\r');
        if (lengthEnd < 0) {
            return null;
        }
        int length;
        try {
            length = Integer.parseInt(frame.toString(i + 5, lengthEnd - i - 5, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return null;
        }
        if (length < 9 || length > 12 || lengthEnd + 2 + length > frame.writerIndex()) {
            return null;
        }
        String name = frame.toString(lengthEnd + 2, length, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
        return switch (name) {
            case "subscribe", "unsubscribe", "psubscribe", "punsubscribe" -> Kind.CLASSIC;
            case "ssubscribe", "sunsubscribe" -> Kind.SHARD;
            default -> null;
        };
    }

    /** The count a confirmation ends with ({@code :<n>\r\n}, its last element), or -1. */
    public static long trailingCount(ByteBuf frame) {
        int end = frame.writerIndex() - 2; // before the final CRLF
        int start = end - 1;
        while (start > frame.readerIndex() && frame.getByte(start) != ':') {
            byte b = frame.getByte(start);
            if (b < '0' || b > '9') {
                return -1;
            }
            start--;
        }
        if (start <= frame.readerIndex() || frame.getByte(start - 1) != '\n' || start + 1 >= end) {
            return -1;
        }
        try {
            return Long.parseLong(frame.toString(start + 1, end - start - 1, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
