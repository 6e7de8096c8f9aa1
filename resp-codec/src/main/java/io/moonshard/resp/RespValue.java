package io.moonshard.resp;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A RESP2/RESP3 value, for replies a server composes itself and for tests that look inside replies.
 * The proxy's forwarding path never builds these: it moves frames. Encode with {@link RespEncoder},
 * parse with {@link RespParser}, print like redis-cli with {@link RespFormatter}.
 */
public sealed interface RespValue {

    /** {@code +OK}. */
    record SimpleString(String value) implements RespValue {
    }

    /** {@code -ERR ...} (or a RESP3 bulk error {@code !}). */
    record ErrorValue(String message) implements RespValue {
    }

    /** {@code :42}. */
    record IntegerValue(long value) implements RespValue {
    }

    /** {@code $3\r\nfoo}: binary-safe. */
    record BulkString(byte[] bytes) implements RespValue {
        public static BulkString of(String utf8) {
            return new BulkString(utf8.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof BulkString b && Arrays.equals(bytes, b.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "BulkString[" + new String(bytes, StandardCharsets.UTF_8) + "]";
        }
    }

    /** The three nulls: RESP2's null bulk string ({@code $-1}) and null array ({@code *-1}), RESP3's {@code _}. */
    enum NullValue implements RespValue {
        NULL_BULK, NULL_ARRAY, NULL
    }

    /** {@code *N}. */
    record ArrayValue(List<RespValue> elements) implements RespValue {
        public ArrayValue {
            elements = List.copyOf(elements);
        }
    }

    /** RESP3 {@code %N}: pairs in order; RESP2 sees a flat array. */
    record MapValue(List<Map.Entry<RespValue, RespValue>> entries) implements RespValue {
        public MapValue {
            entries = List.copyOf(entries);
        }
    }

    /** RESP3 {@code ~N}; RESP2 sees an array. */
    record SetValue(List<RespValue> elements) implements RespValue {
        public SetValue {
            elements = List.copyOf(elements);
        }
    }

    /** RESP3 {@code ,3.14}; RESP2 sees a bulk string formatted like Redis ({@code %.17g}). */
    record DoubleValue(double value) implements RespValue {
    }

    /** RESP3 {@code #t}; RESP2 sees {@code :1} / {@code :0}. */
    record BooleanValue(boolean value) implements RespValue {
    }

    /** RESP3 {@code (123...}; RESP2 sees a bulk string of the digits. */
    record BigNumberValue(BigInteger value) implements RespValue {
    }

    /** RESP3 {@code =15\r\ntxt:...}; RESP2 sees a bulk string of the text alone. */
    record VerbatimValue(String format, String text) implements RespValue {
    }

    /** RESP3 {@code >N} out-of-band data; RESP2 sees an array. */
    record PushValue(List<RespValue> elements) implements RespValue {
        public PushValue {
            elements = List.copyOf(elements);
        }
    }
}
