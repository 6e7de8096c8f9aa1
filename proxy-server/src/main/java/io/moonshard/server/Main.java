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

    public static void main(String[] args) {
        int code = run(args, System.getenv(), System.out, System.err);
        if (code != ProxyLauncher.EXITING_BY_SIGNAL) {
            System.exit(code);
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
