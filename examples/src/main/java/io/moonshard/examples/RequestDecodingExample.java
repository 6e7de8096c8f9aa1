package io.moonshard.examples;

import io.moonshard.resp.RespCommand;
import io.moonshard.resp.RespProtocolError;
import io.moonshard.resp.RespRequestDecoder;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Using the codec on its own, e.g. in a test of your own Redis-speaking code: feed raw client bytes
 * (RESP or inline, in any fragments) through {@link RespRequestDecoder} and get each command's
 * arguments, or Redis's exact protocol error.
 */
public final class RequestDecodingExample {

    private RequestDecodingExample() {
    }

    /** Each decoded command as its arguments, in order; a protocol error as {@code "-<message>"}. */
    public static List<List<String>> decode(String rawClientBytes) {
        EmbeddedChannel channel = new EmbeddedChannel(new RespRequestDecoder());
        List<List<String>> commands = new ArrayList<>();
        try {
            channel.writeInbound(Unpooled.copiedBuffer(rawClientBytes, StandardCharsets.ISO_8859_1));
            for (Object msg; (msg = channel.readInbound()) != null; ) {
                if (msg instanceof RespCommand command) {
                    try {
                        List<String> args = new ArrayList<>();
                        for (int i = 0; i < command.argCount(); i++) {
                            args.add(command.argString(i));
                        }
                        commands.add(args);
                    } finally {
                        command.release(); // the decoder hands over one reference per command
                    }
                } else if (msg instanceof RespProtocolError error) {
                    commands.add(List.of("-" + error.message()));
                }
            }
            return commands;
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    public static void main(String[] args) {
        String input = args.length > 0 ? args[0] : "*2\r\n$3\r\nGET\r\n$1\r\na\r\nSET k \"hello world\"\r\n";
        decode(input).forEach(System.out::println);
    }
}
