using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using CacheSerial.IntegrationTests.Faults;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Infrastructure;

/// <summary>
/// A Redis Cluster of <c>redis-server</c> child processes on free 127.0.0.1 ports (3 primaries, 3 replicas), each node in
/// its own temporary directory, joined with <c>redis-cli --cluster create</c>. Stopped by the pids started here; the
/// directories are deleted. Used by <see cref="RedisClusterFixture"/> and by tests that kill nodes (on a cluster of their own).
/// </summary>
public sealed class RedisClusterNodes : IAsyncDisposable
{
    /// <summary>How long a node may stay unreachable before its replica is promoted (cluster-node-timeout, ms).</summary>
    public const int NodeTimeoutMilliseconds = 2000;

    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(60);

    private readonly List<Node> _nodes = [];

    private RedisClusterNodes()
    {
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit; // a test host that ends without disposing still stops them
    }

    /// <summary>host:port of every node, primaries first as created.</summary>
    public IReadOnlyList<string> Endpoints => _nodes.Select(n => n.Endpoint).ToArray();

    /// <summary>The pids of the running nodes, for the announcement.</summary>
    public IReadOnlyList<int> Pids
    {
        get
        {
            lock (_nodes)
            {
                return _nodes.Where(n => n.Process is { HasExited: false }).Select(n => n.Process!.Id).ToArray();
            }
        }
    }

    /// <summary>
    /// The redis-server and redis-cli executables, or a reason they are missing (install the redis-server package, which
    /// depends on redis-tools for redis-cli).
    /// </summary>
    public static (string? Server, string? Cli, string? Missing) FindExecutables()
    {
        var server = LoopbackProbe.FindOnPath("redis-server") ?? (File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : null);
        var cli = LoopbackProbe.FindOnPath("redis-cli") ?? (File.Exists("/usr/bin/redis-cli") ? "/usr/bin/redis-cli" : null);
        var missing = new List<string>();
        if (server is null)
        {
            missing.Add("redis-server");
        }

        if (cli is null)
        {
            missing.Add("redis-cli");
        }

        return (server, cli, missing.Count == 0 ? null : string.Join(" and ", missing) + " not on PATH (apt-get install redis-server redis-tools)");
    }

    /// <summary>
    /// The executables, or (when one is missing) fails the calling test under CACHESERIAL_REQUIRE_REDIS, else skips it.
    /// </summary>
    public static (string Server, string Cli) RequireExecutables()
    {
        var (server, cli, missing) = FindExecutables();
        if (missing is not null)
        {
            SkipOrFail(missing);
        }

        return (server!, cli!);
    }

    /// <summary>Fails the calling test when CACHESERIAL_REQUIRE_REDIS is set, else skips it; <paramref name="reason"/> says what is missing.</summary>
    public static void SkipOrFail(string reason)
    {
        if (RedisFixture.RedisRequired)
        {
            Assert.Fail($"{reason}. {RedisFixture.RequireRedisVariable} is set, so the Redis Cluster tests fail.");
        }

        Assert.Skip($"{reason}: the Redis Cluster tests need them (or {RedisClusterFixture.ClusterVariable}=host:port,... for the tests that do not kill nodes).");
    }

    /// <summary>Starts six nodes, creates the cluster and returns once every node reports cluster_state:ok with all slots.</summary>
    public static async Task<RedisClusterNodes> StartAsync(string serverExecutable, string cliExecutable, CancellationToken cancellationToken)
    {
        var cluster = new RedisClusterNodes();
        try
        {
            for (var i = 0; i < 6; i++)
            {
                await cluster.StartNodeAsync(serverExecutable, cancellationToken).ConfigureAwait(false);
            }

            await cluster.CreateAsync(cliExecutable, cancellationToken).ConfigureAwait(false);
            await cluster.WaitUntilHealthyAsync(cancellationToken).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A new multiplexer over every node (the caller disposes it).</summary>
    public Task<ConnectionMultiplexer> ConnectAsync(string clientName) => ConnectAsync(Endpoints, clientName);

    /// <summary>A new multiplexer over <paramref name="endpoints"/> (host:port; the caller disposes it).</summary>
    public static Task<ConnectionMultiplexer> ConnectAsync(IEnumerable<string> endpoints, string clientName)
    {
        var options = new ConfigurationOptions
        {
            ClientName = clientName,
            ConnectTimeout = 10_000,
            SyncTimeout = 10_000,
            AsyncTimeout = 10_000,
            AbortOnConnectFail = true,
            AllowAdmin = true, // INFO commandstats and SCAN per node; the tests never flush or reconfigure the cluster
        };
        foreach (var endpoint in endpoints)
        {
            options.EndPoints.Add(endpoint);
        }

        return ConnectionMultiplexer.ConnectAsync(options);
    }

    /// <summary>The port of the node that serves <paramref name="slot"/> as primary, asked of a live node (CLUSTER SLOTS).</summary>
    public async Task<int> PrimaryPortOfSlotAsync(int slot, CancellationToken cancellationToken)
    {
        foreach (var node in LiveNodes())
        {
            if (await OwnerOfSlotAsync(node.Port, slot, cancellationToken).ConfigureAwait(false) is { } owner)
            {
                return owner;
            }
        }

        throw new InvalidOperationException($"No live node knows slot {slot}.");
    }

    /// <summary>Port and node id of every primary not flagged as failed (CLUSTER NODES, asked of a live node).</summary>
    public async Task<IReadOnlyList<(int Port, string Id)>> PrimariesAsync(CancellationToken cancellationToken)
    {
        var nodes = (string?)await RespConnection.ExecuteOnceAsync(LiveNodes()[0].Port, ["CLUSTER", "NODES"], cancellationToken).ConfigureAwait(false) ?? string.Empty;
        var primaries = new List<(int, string)>();
        foreach (var line in nodes.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // <id> <ip:port@bus-port> <flags> <primary id> ...
            var fields = line.Split(' ');
            var flags = fields[2].Split(',');
            if (flags.Contains("master") && !flags.Contains("fail") && !flags.Contains("fail?"))
            {
                var address = fields[1];
                var port = address[(address.LastIndexOf(':') + 1)..address.IndexOf('@', StringComparison.Ordinal)];
                primaries.Add((int.Parse(port, CultureInfo.InvariantCulture), fields[0]));
            }
        }

        return primaries;
    }

    /// <summary>
    /// Moves <paramref name="slot"/> live from its primary to the primary on <paramref name="targetPort"/>, the way
    /// <c>redis-cli --cluster reshard</c> does: IMPORTING on the target, MIGRATING on the source, MIGRATE of the slot's
    /// keys in batches of <paramref name="batchSize"/>, awaiting <paramref name="betweenBatches"/> after each (so clients
    /// meet the half-moved slot), then SETSLOT NODE on the target, the source and the other primaries. Returns the number
    /// of keys moved.
    /// </summary>
    public async Task<int> MigrateSlotAsync(int slot, int targetPort, int batchSize, Func<Task> betweenBatches, CancellationToken cancellationToken)
    {
        var primaries = await PrimariesAsync(cancellationToken).ConfigureAwait(false);
        var sourcePort = await PrimaryPortOfSlotAsync(slot, cancellationToken).ConfigureAwait(false);
        var source = primaries.Single(p => p.Port == sourcePort);
        var target = primaries.Single(p => p.Port == targetPort);
        if (source.Port == target.Port)
        {
            throw new ArgumentException($"Slot {slot} is already on {targetPort}.", nameof(targetPort));
        }

        var slotText = slot.ToString(CultureInfo.InvariantCulture);
        await RespConnection.ExecuteOnceAsync(target.Port, ["CLUSTER", "SETSLOT", slotText, "IMPORTING", source.Id], cancellationToken).ConfigureAwait(false);
        await RespConnection.ExecuteOnceAsync(source.Port, ["CLUSTER", "SETSLOT", slotText, "MIGRATING", target.Id], cancellationToken).ConfigureAwait(false);

        var moved = 0;
        await using (var connection = await RespConnection.ConnectAsync("127.0.0.1", source.Port, cancellationToken).ConfigureAwait(false))
        {
            while (true)
            {
                // The source only loses keys of a MIGRATING slot: a write to a key it no longer has is redirected (ASK).
                var batch = (RedisResult[])(await connection.ExecuteAsync(
                    ["CLUSTER", "GETKEYSINSLOT", slotText, batchSize.ToString(CultureInfo.InvariantCulture)], cancellationToken).ConfigureAwait(false))!;
                if (batch.Length == 0)
                {
                    break;
                }

                List<string> migrate = ["MIGRATE", "127.0.0.1", target.Port.ToString(CultureInfo.InvariantCulture), string.Empty, "0", "10000", "REPLACE", "KEYS"];
                migrate.AddRange(batch.Select(k => (string)k!));
                await connection.ExecuteAsync(migrate, cancellationToken).ConfigureAwait(false); // OK, or NOKEY if they expired meanwhile
                moved += batch.Length;
                await betweenBatches().ConfigureAwait(false);
            }
        }

        // Target first, so the slot is never without an owner that accepts it; then the source, which ends its MIGRATING.
        foreach (var port in primaries.OrderBy(p => p.Port == target.Port ? 0 : p.Port == source.Port ? 1 : 2).Select(p => p.Port))
        {
            await RespConnection.ExecuteOnceAsync(port, ["CLUSTER", "SETSLOT", slotText, "NODE", target.Id], cancellationToken).ConfigureAwait(false);
        }

        return moved;
    }

    /// <summary>Waits (bounded) until every live node names the primary on <paramref name="port"/> as the owner of <paramref name="slot"/> (CLUSTER SLOTS).</summary>
    public async Task WaitUntilSlotOwnedByAsync(int slot, int port, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var views = new List<string>();
            foreach (var node in LiveNodes())
            {
                var owner = await OwnerOfSlotAsync(node.Port, slot, cancellationToken).ConfigureAwait(false);
                if (owner != port)
                {
                    views.Add($"{node.Endpoint} names {owner?.ToString(CultureInfo.InvariantCulture) ?? "no owner"}");
                }
            }

            if (views.Count == 0)
            {
                return;
            }

            if (clock.Elapsed > StartLimit)
            {
                throw new InvalidOperationException($"Slot {slot} not owned by {port} on every node within {StartLimit.TotalSeconds:0} s: {string.Join("; ", views)}");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The primary port the node on <paramref name="nodePort"/> names for <paramref name="slot"/> (CLUSTER SLOTS), or null.</summary>
    public static async Task<int?> OwnerOfSlotAsync(int nodePort, int slot, CancellationToken cancellationToken)
    {
        foreach (var range in (RedisResult[])(await RespConnection.ExecuteOnceAsync(nodePort, ["CLUSTER", "SLOTS"], cancellationToken).ConfigureAwait(false))!)
        {
            var parts = (RedisResult[])range!;
            if ((int)parts[0] <= slot && slot <= (int)parts[1])
            {
                return (int)((RedisResult[])parts[2]!)[1];
            }
        }

        return null;
    }

    /// <summary>Kills the node on <paramref name="port"/> with SIGKILL (only a pid started here) and waits for its exit.</summary>
    public async Task KillAsync(int port, CancellationToken cancellationToken)
    {
        Process process;
        lock (_nodes)
        {
            var node = _nodes.Single(n => n.Port == port);
            process = node.Process ?? throw new InvalidOperationException($"The node on {port} is not running.");
            node.Process = null;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: false);
            }

            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            process.Dispose();
        }
    }

    /// <summary>
    /// Waits until every live node reports cluster_state:ok with all 16384 slots served (so every slot range has a live
    /// primary), and every live replica is linked to its primary.
    /// </summary>
    public async Task WaitUntilHealthyAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var last = string.Empty;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            last = await UnhealthyReasonAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
            if (last.Length == 0)
            {
                return;
            }

            if (clock.Elapsed > StartLimit)
            {
                throw new InvalidOperationException($"The test cluster did not become healthy within {StartLimit.TotalSeconds:0} s: {last}");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        Node[] nodes;
        lock (_nodes)
        {
            nodes = [.. _nodes];
            _nodes.Clear();
        }

        foreach (var node in nodes)
        {
            if (node.Process is { } process)
            {
                ChildProcessRedisServer.Stop(process);
            }

            ChildProcessRedisServer.TryDelete(node.Directory);
        }

        return ValueTask.CompletedTask;
    }

    private async Task<string?> UnhealthyReasonAsync(CancellationToken cancellationToken)
    {
        foreach (var node in LiveNodes())
        {
            try
            {
                await using var connection = await RespConnection.ConnectAsync("127.0.0.1", node.Port, cancellationToken).ConfigureAwait(false);
                var info = ((string?)await connection.ExecuteAsync(["CLUSTER", "INFO"], cancellationToken).ConfigureAwait(false)) ?? string.Empty;
                if (!info.Contains("cluster_state:ok", StringComparison.Ordinal) || !info.Contains("cluster_slots_ok:16384", StringComparison.Ordinal))
                {
                    return $"{node.Endpoint}: {info.Replace("\r\n", " ", StringComparison.Ordinal)}";
                }

                // A replica still loading its primary's data would lose writes if that primary died now.
                var replication = ((string?)await connection.ExecuteAsync(["INFO", "replication"], cancellationToken).ConfigureAwait(false)) ?? string.Empty;
                if (replication.Contains("role:slave", StringComparison.Ordinal) && !replication.Contains("master_link_status:up", StringComparison.Ordinal))
                {
                    return $"{node.Endpoint}: replica not linked to its primary yet";
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or RedisServerException)
            {
                return $"{node.Endpoint}: {ex.GetType().Name}: {ex.Message}";
            }
        }

        return null;
    }

    private Node[] LiveNodes()
    {
        lock (_nodes)
        {
            return _nodes.Where(n => n.Process is { HasExited: false }).ToArray();
        }
    }

    private async Task StartNodeAsync(string executable, CancellationToken cancellationToken)
    {
        var (process, port, directory) = await ChildProcessRedisServer.StartOnFreePortAsync(executable, "cacheserial-cluster-", FreeClusterPort, (_, directory) => (
            [
                "--cluster-enabled", "yes",
                "--cluster-config-file", Path.Combine(directory, "nodes.conf"),
                "--cluster-node-timeout", NodeTimeoutMilliseconds.ToString(CultureInfo.InvariantCulture),
            ], null), cancellationToken).ConfigureAwait(false);
        lock (_nodes)
        {
            _nodes.Add(new Node(port, directory) { Process = process });
        }
    }

    private async Task CreateAsync(string cli, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(cli)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        info.ArgumentList.Add("--cluster");
        info.ArgumentList.Add("create");
        foreach (var endpoint in Endpoints)
        {
            info.ArgumentList.Add(endpoint);
        }

        info.ArgumentList.Add("--cluster-replicas");
        info.ArgumentList.Add("1");
        info.ArgumentList.Add("--cluster-yes");

        using var process = Process.Start(info) ?? throw new InvalidOperationException("redis-cli did not start.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(StartLimit);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: false); // only the redis-cli started here
            throw new InvalidOperationException($"redis-cli --cluster create did not finish within {StartLimit.TotalSeconds:0} s.");
        }

        var output = await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false);
        if (process.ExitCode != 0 || !output.Contains("All 16384 slots covered", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"redis-cli --cluster create failed (exit {process.ExitCode}): {output}");
        }
    }

    /// <summary>A free port whose cluster bus port (port + 10000) is free too.</summary>
    private static int FreeClusterPort()
    {
        for (var i = 0; i < 100; i++)
        {
            var port = LoopbackProbe.FreePort();
            if (port + 10000 <= IPEndPoint.MaxPort && IsFree(port + 10000))
            {
                return port;
            }
        }

        throw new InvalidOperationException("No free port pair (port, port + 10000) found on 127.0.0.1.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        foreach (var node in LiveNodes())
        {
            ChildProcessRedisServer.Stop(node.Process!);
        }
    }

    private sealed class Node(int port, string directory)
    {
        public int Port { get; } = port;

        public string Directory { get; } = directory;

        public string Endpoint => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

        public Process? Process { get; set; }
    }
}
