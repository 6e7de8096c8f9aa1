"""redis-py's cluster client against a Moonshard cluster, for ReplicasIT.

    python3 replica_reads.py <host> <port> write|read <prefix> <count>

write: SETs <prefix>:0 .. <prefix>:<count-1> to "v<i>" through the cluster client (writes go to masters).
read:  GETs them with reads sent to replicas (redis-py sends READONLY on every connection) and checks
       every value. Prints "mode=<how replicas were chosen>" and "ok <count>".
"""
import sys

from redis.cluster import RedisCluster


def client(host, port):
    try:
        from redis.cluster import LoadBalancingStrategy  # redis-py 5.3 and later
        return RedisCluster(host=host, port=port,
                            load_balancing_strategy=LoadBalancingStrategy.ROUND_ROBIN_REPLICAS), "replicas_only"
    except ImportError:
        return RedisCluster(host=host, port=port, read_from_replicas=True), "read_from_replicas"


def main():
    host, port, action, prefix, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
    rc, mode = client(host, port)
    try:
        print("mode=" + mode)
        print("nodes=" + ",".join(sorted(n.name for n in rc.get_nodes())))
        for i in range(count):
            key = "%s:%d" % (prefix, i)
            if action == "write":
                assert rc.set(key, "v%d" % i) is True
            else:
                value = rc.get(key)
                assert value == ("v%d" % i).encode(), (key, value)
        print("ok %d" % count)
    finally:
        rc.close()


if __name__ == "__main__":
    main()
