using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using CacheSerial.IntegrationTests.Faults;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Infrastructure;

/// <summary>
/// A Redis Sentinel setup of <c>redis-server</c> child processes on free 127.0.0.1 ports: one primary, one replica and
/// three sentinels (<c>redis-server sentinel.conf --sentinel</c>, quorum 2) watching them under
/// <see cref="ServiceName"/>, each process in its own temporary directory. Stopped by the pids started here; the
/// directories are deleted. Each test that fails a node over starts its own.
/// </summary>
public sealed class RedisSentinelNodes : IAsyncDisposable
{
    /// <summary>The name the sentinels monitor the primary under (StackExchange.Redis' <c>serviceName</c>).</summary>
    public const string ServiceName = "cacheserial";

    /// <summary>How long the primary may stay unreachable before a sentinel considers it down (down-after-milliseconds).</summary>
    public const int DownAfterMilliseconds = 1000;

    private const int Sentinels = 3;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private readonly List<(int Port, string Directory, Process Process)> _processes = [];

    private RedisSentinelNodes()
    {
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit; // a test host that ends without disposing still stops them
    }

    /// <summary>The port of the primary at start.</summary>
    public int PrimaryPort { get; private set; }

    /// <summary>The port of the replica at start (the one a failover promotes).</summary>
    public int ReplicaPort { get; private set; }

    /// <summary>The sentinels' ports.</summary>
    public IReadOnlyList<int> SentinelPorts { get; private set; } = [];

    /// <summary>The pids of the running processes, for the announcement.</summary>
    public IReadOnlyList<int> Pids
    {
        get
        {
            lock (_processes)
            {
                return _processes.Where(p => !p.Process.HasExited).Select(p => p.Process.Id).ToArray();
            }
        }
    }

    /// <summary>Starts the primary, the replica and the sentinels; returns once every sentinel sees the replica and the other sentinels.</summary>
    public static async Task<RedisSentinelNodes> StartAsync(string executable, CancellationToken cancellationToken)
    {
        var nodes = new RedisSentinelNodes();
        try
        {
            nodes.PrimaryPort = await nodes.StartAsync(executable, "cacheserial-sentinel-primary-", (_, _) => ([], null), cancellationToken).ConfigureAwait(false);
            nodes.ReplicaPort = await nodes.StartAsync(executable, "cacheserial-sentinel-replica-",
                (_, _) => (["--replicaof", "127.0.0.1", nodes.PrimaryPort.ToString(CultureInfo.InvariantCulture)], null), cancellationToken).ConfigureAwait(false);

            // Sentinels learn the replica from the primary's INFO: linked first, it is known from their first look.
            await WaitAsync("the replica linked to the primary", () => ReplicaLinkedAsync(nodes.ReplicaPort, cancellationToken), cancellationToken).ConfigureAwait(false);

            var sentinels = new List<int>();
            for (var i = 0; i < Sentinels; i++)
            {
                sentinels.Add(await nodes.StartAsync(executable, "cacheserial-sentinel-", (_, directory) =>
                {
                    var config = Path.Combine(directory, "sentinel.conf"); // Sentinel rewrites its config file: one of its own
                    File.WriteAllLines(config,
                    [
                        $"sentinel monitor {ServiceName} 127.0.0.1 {nodes.PrimaryPort.ToString(CultureInfo.InvariantCulture)} 2",
                        $"sentinel down-after-milliseconds {ServiceName} {DownAfterMilliseconds.ToString(CultureInfo.InvariantCulture)}",
                        $"sentinel failover-timeout {ServiceName} 10000",
                    ]);
                    return (["--sentinel"], config);
                }, cancellationToken).ConfigureAwait(false));
            }

            nodes.SentinelPorts = sentinels;
            await WaitAsync("every sentinel seeing the replica and the other sentinels", () => nodes.SentinelsReadyAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
            return nodes;
        }
        catch
        {
            await nodes.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Client options that name the sentinels and <see cref="ServiceName"/> (StackExchange.Redis finds the primary through them).</summary>
    public ConfigurationOptions ClientOptions(string clientName)
    {
        var options = new ConfigurationOptions
        {
            ClientName = clientName,
            ServiceName = ServiceName,
            ConnectTimeout = 10_000,
            SyncTimeout = 10_000,
            AsyncTimeout = 10_000,
            AbortOnConnectFail = true,
        };
        foreach (var port in SentinelPorts)
        {
            options.EndPoints.Add("127.0.0.1", port);
        }

        return options;
    }

    /// <summary>The port of the primary the sentinel on <paramref name="sentinelPort"/> names (SENTINEL GET-MASTER-ADDR-BY-NAME).</summary>
    public static async Task<int> PrimaryPortAsync(int sentinelPort, CancellationToken cancellationToken)
    {
        var address = (RedisResult[])(await RespConnection.ExecuteOnceAsync(sentinelPort, ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", ServiceName], cancellationToken).ConfigureAwait(false))!;
        return (int)address[1];
    }

    /// <summary>Waits (bounded) until every sentinel names <paramref name="port"/> as the primary and that server reports role:master.</summary>
    public Task WaitUntilPrimaryIsAsync(int port, CancellationToken cancellationToken) =>
        WaitAsync($"every sentinel naming {port} as the primary", async () =>
        {
            foreach (var sentinel in SentinelPorts)
            {
                if (await PrimaryPortAsync(sentinel, cancellationToken).ConfigureAwait(false) != port)
                {
                    return false;
                }
            }

            var replication = (string?)await RespConnection.ExecuteOnceAsync(port, ["INFO", "replication"], cancellationToken).ConfigureAwait(false) ?? string.Empty;
            return replication.Contains("role:master", StringComparison.Ordinal);
        }, cancellationToken);

    /// <summary>Kills the process on <paramref name="port"/> with SIGKILL (only a pid started here) and waits for its exit.</summary>
    public async Task KillAsync(int port, CancellationToken cancellationToken)
    {
        Process process;
        lock (_processes)
        {
            process = _processes.Single(p => p.Port == port).Process;
        }

        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: false);
        }

        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        (int Port, string Directory, Process Process)[] processes;
        lock (_processes)
        {
            processes = [.. _processes];
            _processes.Clear();
        }

        foreach (var (_, directory, process) in processes)
        {
            ChildProcessRedisServer.Stop(process);
            ChildProcessRedisServer.TryDelete(directory);
        }

        return ValueTask.CompletedTask;
    }

    private async Task<int> StartAsync(
        string executable,
        string directoryPrefix,
        Func<int, string, (IReadOnlyList<string> Arguments, string? ConfigFile)> prepare,
        CancellationToken cancellationToken)
    {
        var (process, port, directory) = await ChildProcessRedisServer.StartOnFreePortAsync(
            executable, directoryPrefix, LoopbackProbe.FreePort, prepare, cancellationToken).ConfigureAwait(false);
        lock (_processes)
        {
            _processes.Add((port, directory, process));
        }

        return port;
    }

    private static async Task<bool> ReplicaLinkedAsync(int replicaPort, CancellationToken cancellationToken)
    {
        var replication = (string?)await RespConnection.ExecuteOnceAsync(replicaPort, ["INFO", "replication"], cancellationToken).ConfigureAwait(false) ?? string.Empty;
        return replication.Contains("master_link_status:up", StringComparison.Ordinal);
    }

    private async Task<bool> SentinelsReadyAsync(CancellationToken cancellationToken)
    {
        foreach (var sentinel in SentinelPorts)
        {
            // SENTINEL MASTER: a flat list of field, value, field, value...
            var fields = (RedisResult[])(await RespConnection.ExecuteOnceAsync(sentinel, ["SENTINEL", "MASTER", ServiceName], cancellationToken).ConfigureAwait(false))!;
            var map = new Dictionary<string, string>();
            for (var i = 0; i + 1 < fields.Length; i += 2)
            {
                map[(string)fields[i]!] = (string)fields[i + 1]!;
            }

            if (map.GetValueOrDefault("num-slaves") != "1" || map.GetValueOrDefault("num-other-sentinels") != (Sentinels - 1).ToString(CultureInfo.InvariantCulture))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Polls <paramref name="condition"/> every 100 ms until true; fails after <see cref="Limit"/> naming what it waited for.</summary>
    private static async Task WaitAsync(string what, Func<Task<bool>> condition, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var last = string.Empty;
        while (true)
        {
            try
            {
                if (await condition().ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or RedisServerException)
            {
                last = $" (last: {ex.GetType().Name}: {ex.Message})";
            }

            if (clock.Elapsed > Limit)
            {
                throw new InvalidOperationException($"Redis Sentinel test setup: still waiting for {what} after {Limit.TotalSeconds:0} s{last}.");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        lock (_processes)
        {
            foreach (var (_, _, process) in _processes)
            {
                ChildProcessRedisServer.Stop(process);
            }
        }
    }
}
