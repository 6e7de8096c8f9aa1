package io.moonshard.server;

import java.io.PrintStream;
import java.util.Map;

/**
 * {@code java -jar moonshard-proxy.jar [--config FILE] [--<option> VALUE]...}: reads the options
 * (flag > environment > file > default), starts one proxy and runs until SIGTERM/SIGINT or
 * {@code UMCTL SHUTDOWN}.
 *
 * <p>Exit codes: 0 after {@code --help}, {@code --version} or {@code UMCTL SHUTDOWN}; 2 for a bad
 * command line or configuration (one line on standard error naming the key); 1 when the proxy cannot
 * start (e.g. the address is in use); 143 after SIGTERM and 130 after SIGINT (the JVM's 128 + signal).
 */
public final class Main {

    private Main() {
    }

    /** Netty's system property for its buffer leak detector. */
    static final String LEAK_DETECTION_PROPERTY = "io.netty.leakDetection.level";

    public static void main(String[] args) {
        disableLeakDetectionUnlessAsked();
        int code = run(args, System.getenv(), System.out, System.err);
        if (code != ProxyLauncher.EXITING_BY_SIGNAL) {
            System.exit(code);
        }
    }

    /**
     * The server runs without Netty's leak detector unless {@code -Dio.netty.leakDetection.level=...}
     * asks for it. Netty's default ("simple") tracks one buffer in 128, but every slice of a tracked
     * buffer is tracked too, and each tracking captures a stack trace: a JFR profile of a GET/SET load
     * (50 clients, P=1) showed 188,000 such stack traces for 1.6 million requests, about 1% of the
     * proxy's CPU in {@code fill_in_stack_trace} alone, and made the buffer call sites polymorphic.
     * Buffer ownership is checked where it belongs: every test runs with the paranoid detector and
     * fails on a leak. Must run before any Netty class reads the property.
     */
    static void disableLeakDetectionUnlessAsked() {
        if (System.getProperty(LEAK_DETECTION_PROPERTY) == null) {
            System.setProperty(LEAK_DETECTION_PROPERTY, "disabled");
        }
    }

    /** Everything but {@code System.exit}, so tests can call it. Blocks while the proxy runs. */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        ServerSettings settings;
        try {
            Cli.Parsed parsed = Cli.parse(args, env);
            if (parsed.help()) {
                out.print(Cli.usage());
                out.flush();
                return 0;
            }
            if (parsed.version()) {
                out.println(Cli.versionLine());
                out.flush();
                return 0;
            }
            settings = ConfigLoader.load(parsed.flags(), parsed.configFile(), env);
        } catch (ConfigException e) {
            err.println("moonshard: " + e.getMessage());
            err.flush();
            return 2;
        }
        return new ProxyLauncher(settings, err).run();
    }
}
