package io.moonshard.controller.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moonshard.controller.model.Json;
import io.moonshard.controller.model.ProxyRecord;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code moonshard-controller}: {@code server} runs a controller; {@code proxy} and {@code cluster}
 * talk to one ({@code --controller}, or {@code MOONSHARD_CONTROLLER}, default
 * {@code http://127.0.0.1:7799}). The CLI prints the API's JSON and exits 0 on a 2xx answer, 1 on a
 * refusal, 2 when the controller cannot be reached.
 */
@Command(name = "moonshard-controller", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        subcommands = {ServerCommand.class, Main.ProxyCommand.class, Main.ClusterCommand.class},
        description = "The Moonshard control plane: a pool of proxies and Redis on etcd, clusters for many users.")
public final class Main implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        int code = run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        if (code != ServerCommand.KEEP_RUNNING) {
            System.exit(code);
        }
    }

    /** Runs the command line; the server subcommand returns {@link ServerCommand#KEEP_RUNNING}. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        return cli.execute(args);
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"moonshard-controller " + (v == null ? "(development build)" : v)};
        }
    }

    /** Where the controller is, for the client subcommands. */
    static class Target {
        @Option(names = "--controller", description = "Controller URL (env MOONSHARD_CONTROLLER, default http://127.0.0.1:7799)")
        String controller;

        @Option(names = "--api-token-file", description = "File holding the API token (env MOONSHARD_API_TOKEN holds it inline)")
        Path tokenFile;

        ApiClient client() throws IOException {
            String url = controller != null ? controller : System.getenv().getOrDefault("MOONSHARD_CONTROLLER",
                    "http://127.0.0.1:7799");
            String token = tokenFile != null ? Files.readString(tokenFile).strip() : System.getenv("MOONSHARD_API_TOKEN");
            return new ApiClient(url, token);
        }
    }

    /** A client subcommand: where the controller is, and the spec to print through. */
    abstract static class ApiCall implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        Target target;
    }

    /** Runs one API call and prints its answer; the exit code follows the status. */
    static int print(CommandLine.Model.CommandSpec spec, Target target, String method, String path, Object body) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            ApiClient.Response r = target.client().call(method, path, body == null ? null : Json.text(body));
            (r.status() / 100 == 2 ? out : err).println(r.body());
            return r.status() / 100 == 2 ? 0 : 1;
        } catch (IOException | IllegalArgumentException e) {
            err.println("cannot reach the controller: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            return 2;
        }
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Command(name = "proxy", description = "The pool of proxies.", subcommands = {ProxyCommand.Add.class,
            ProxyCommand.ListProxies.class, ProxyCommand.Drain.class, ProxyCommand.Remove.class})
    static final class ProxyCommand {

        @Command(name = "add", description = "Registers a proxy and the Redis nodes beside it.")
        static final class Add extends ApiCall {
            @Option(names = "--address", required = true, description = "host:port clients reach the proxy at")
            String address;
            @Option(names = "--host", required = true, description = "the machine it runs on (placement keeps a master and its replica apart)")
            String host;
            @Option(names = "--nodes", required = true, split = ",", description = "its Redis nodes, host:port,...")
            List<String> nodes;

            @Override
            public Integer call() {
                return print(spec, target, "POST", "/api/v1/proxies", new ProxyRecord(address, host, nodes));
            }
        }

        @Command(name = "list", description = "Lists the pool.")
        static final class ListProxies extends ApiCall {

            @Override
            public Integer call() {
                return print(spec, target, "GET", "/api/v1/proxies", null);
            }
        }

        @Command(name = "drain", description = "Hands every master on a proxy over to a replica elsewhere (before stopping it).")
        static final class Drain extends ApiCall {
            @Option(names = "--address", required = true, description = "the proxy's address")
            String address;

            @Override
            public Integer call() {
                return print(spec, target, "POST", "/api/v1/proxies/" + encode(address) + "/drain", null);
            }
        }

        @Command(name = "remove", description = "Removes a free proxy from the pool.")
        static final class Remove extends ApiCall {
            @Parameters(index = "0", description = "its address")
            String address;

            @Override
            public Integer call() {
                return print(spec, target, "DELETE", "/api/v1/proxies/" + encode(address), null);
            }
        }
    }

    @Command(name = "cluster", description = "Clusters.", subcommands = {ClusterCommand.Create.class,
            ClusterCommand.ListClusters.class, ClusterCommand.Describe.class, ClusterCommand.Status.class,
            ClusterCommand.Scale.class, ClusterCommand.Failover.class, ClusterCommand.Delete.class})
    static final class ClusterCommand {

        @Command(name = "create", description = "Creates a cluster on free proxies.")
        static final class Create extends ApiCall {
            @Parameters(index = "0", description = "its name")
            String name;
            @Option(names = "--shards", required = true, description = "masters")
            int shards;
            @Option(names = "--replicas", defaultValue = "1", description = "replicas per master (default ${DEFAULT-VALUE})")
            int replicas;
            @Option(names = "--password", description = "clients' password (none by default)")
            String password;

            @Override
            public Integer call() {
                ObjectNode body = Json.mapper().createObjectNode().put("name", name).put("shards", shards).put("replicas", replicas);
                if (password != null) {
                    body.put("password", password);
                }
                return print(spec, target, "POST", "/api/v1/clusters", body);
            }
        }

        @Command(name = "list", description = "Lists the clusters.")
        static final class ListClusters extends ApiCall {

            @Override
            public Integer call() {
                return print(spec, target, "GET", "/api/v1/clusters", null);
            }
        }

        @Command(name = "describe", description = "A cluster's shards, slots and proxies, as stored.")
        static final class Describe extends ApiCall {
            @Parameters(index = "0")
            String name;

            @Override
            public Integer call() {
                return print(spec, target, "GET", "/api/v1/clusters/" + encode(name), null);
            }
        }

        @Command(name = "status", description = "A cluster as the leader sees it now: node states, offsets, epochs.")
        static final class Status extends ApiCall {
            @Parameters(index = "0")
            String name;

            @Override
            public Integer call() {
                return print(spec, target, "GET", "/api/v1/clusters/" + encode(name) + "/status", null);
            }
        }

        @Command(name = "scale", description = "Sets the number of shards; slots then move online until even.")
        static final class Scale extends ApiCall {
            @Parameters(index = "0")
            String name;
            @Option(names = "--shards", required = true)
            int shards;

            @Override
            public Integer call() {
                return print(spec, target, "POST", "/api/v1/clusters/" + encode(name) + "/scale",
                        Json.mapper().createObjectNode().put("shards", shards));
            }
        }

        @Command(name = "failover", description = "Hands a shard's master over to its replica (planned, lossless: Redis FAILOVER).")
        static final class Failover extends ApiCall {
            @Parameters(index = "0")
            String name;
            @Option(names = "--shard", required = true)
            int shard;

            @Override
            public Integer call() {
                return print(spec, target, "POST", "/api/v1/clusters/" + encode(name) + "/failover",
                        Json.mapper().createObjectNode().put("shard", shard));
            }
        }

        @Command(name = "delete", description = "Deletes a cluster: its proxies are wiped (no slot served, Redis flushed), "
                + "then go back to the pool. Waits until the cluster is gone unless --no-wait.")
        static final class Delete extends ApiCall {
            @Parameters(index = "0")
            String name;
            @Option(names = "--no-wait", description = "return once the delete is accepted (the leader finishes it)")
            boolean noWait;
            @Option(names = "--timeout-seconds", defaultValue = "120",
                    description = "how long to wait for the wipe of every proxy (default ${DEFAULT-VALUE})")
            int timeoutSeconds;

            @Override
            public Integer call() {
                PrintWriter out = spec.commandLine().getOut();
                PrintWriter err = spec.commandLine().getErr();
                String path = "/api/v1/clusters/" + encode(name);
                try {
                    ApiClient client = target.client();
                    ApiClient.Response accepted = client.call("DELETE", path, null);
                    if (accepted.status() / 100 != 2 || noWait) {
                        (accepted.status() / 100 == 2 ? out : err).println(accepted.body());
                        return accepted.status() / 100 == 2 ? 0 : 1;
                    }
                    // the record stays, marked deleting, until every proxy is wiped; then GET answers 404
                    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(timeoutSeconds);
                    ApiClient.Response now = accepted;
                    while (System.nanoTime() < deadline) {
                        now = client.call("GET", path + "/status", null);
                        if (now.status() == 404) {
                            out.println(Json.text(Json.mapper().createObjectNode().put("deleted", name)));
                            return 0;
                        }
                        java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(250));
                    }
                    err.println("cluster " + name + " is still being deleted after " + timeoutSeconds
                            + " s (a proxy that does not answer keeps it waiting; see wipe_pending): " + now.body());
                    return 1;
                } catch (IOException | IllegalArgumentException e) {
                    err.println("cannot reach the controller: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
                    return 2;
                }
            }
        }
    }
}
