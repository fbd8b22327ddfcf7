using System.Diagnostics;
using System.Globalization;
using CacheSerial.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Faults;

/// <summary>
/// A redis-server process of the test's own: kill, restart, pause and server-side error conditions are what chaos tests
/// rely on. Skipped without redis-server on PATH, failed then when CACHESERIAL_REQUIRE_REDIS is set.
/// </summary>
public sealed class RedisProcessTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KillAsync_Running_ConnectionsFailAndPortIsClosed()
    {
        await using var redis = await RedisProcess.StartAsync(cancellationToken: Ct);
        await using var existing = await RespConnection.ConnectAsync(redis.Host, redis.Port, Ct);
        Assert.True(await existing.PingAsync(Ct).WaitAsync(Bound, Ct));
        Assert.NotNull(redis.Pid);

        await redis.KillAsync(Ct);

        Assert.Null(redis.Pid);
        Assert.NotNull(await Record.ExceptionAsync(() => existing.PingAsync(Ct).WaitAsync(Bound, Ct)));
        Assert.False(await LoopbackProbe.PingAsync(redis.Host, redis.Port, Bound, Ct));
    }

    [Fact]
    public async Task RestartAsync_AfterKill_SamePortAnswersAndClientReconnects()
    {
        await using var redis = await RedisProcess.StartAsync(cancellationToken: Ct);
        await using var client = await FaultRedisClient.ConnectAsync(redis);
        await client.Database.PingAsync().WaitAsync(Bound, Ct);
        var port = redis.Port;
        var firstPid = redis.Pid;

        await redis.KillAsync(Ct);
        await Assert.ThrowsAnyAsync<Exception>(() => client.Database.PingAsync().WaitAsync(Bound, Ct));
        await redis.RestartAsync(Ct);

        Assert.Equal(port, redis.Port);
        Assert.NotNull(redis.Pid);
        Assert.NotEqual(firstPid, redis.Pid);
        Assert.True(await LoopbackProbe.PingAsync(redis.Host, port, Bound, Ct));
        await client.PingUntilAnsweredAsync(Bound, Ct);
    }

    [Fact]
    public async Task Pause_PendingCommand_CompletesOnlyAfterResume()
    {
        await using var redis = await RedisProcess.StartAsync(cancellationToken: Ct);
        await using var existing = await RespConnection.ConnectAsync(redis.Host, redis.Port, Ct);
        Assert.True(await existing.PingAsync(Ct).WaitAsync(Bound, Ct));

        redis.Pause();
        var pending = existing.PingAsync(Ct);

        // A stopped process cannot answer: a new connection's PING gets nothing, and the pending one is still waiting.
        Assert.False(await LoopbackProbe.PingAsync(redis.Host, redis.Port, TimeSpan.FromMilliseconds(500), Ct));
        Assert.False(pending.IsCompleted, "a paused redis-server answered PING");

        redis.Resume();

        Assert.True(await pending.WaitAsync(Bound, Ct));
    }

    [Fact]
    public async Task ExecuteAsync_ConfigSet_ChangesTheServer()
    {
        await using var redis = await RedisProcess.StartAsync(cancellationToken: Ct);

        await redis.ExecuteAsync("CONFIG", "SET", "maxmemory-policy", "noeviction");
        var reply = (RedisResult[])(await redis.ExecuteAsync("CONFIG", "GET", "maxmemory-policy"))!;

        Assert.Equal(["maxmemory-policy", "noeviction"], reply.Select(r => (string?)r));
    }

    [Fact]
    public async Task SetAsync_MaxMemoryNoEviction_ThrowsOutOfMemory()
    {
        await using var redis = await RedisProcess.StartAsync(["--maxmemory", "2mb", "--maxmemory-policy", "noeviction"], Ct);
        await using var client = await FaultRedisClient.ConnectAsync(redis);
        var value = new byte[1024 * 1024];

        // Redis refuses a write once used memory is over the limit; a few 1 MB entries get there from an empty server.
        var error = await Record.ExceptionAsync(async () =>
        {
            for (var i = 0; i < 8; i++)
            {
                await client.Cache.SetAsync($"big:{i}", value, new(), Ct);
            }
        });

        var server = Assert.IsType<RedisServerException>(error);
        Assert.StartsWith("OOM", server.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteAsync_WriteOnReplica_ThrowsReadOnly()
    {
        await using var primary = await RedisProcess.StartAsync(cancellationToken: Ct);
        await using var replica = await RedisProcess.StartAsync(
            ["--replicaof", primary.Host, primary.Port.ToString(CultureInfo.InvariantCulture), "--replica-read-only", "yes"], Ct);

        var role = (RedisResult[])(await replica.ExecuteAsync("ROLE"))!;
        var error = await Assert.ThrowsAsync<RedisServerException>(() => replica.ExecuteAsync("SET", "written-on-replica", "v"));

        Assert.Equal("slave", (string?)role[0]);
        Assert.StartsWith("READONLY", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetAsync_ConnectedPrimaryDemotedToReplica_ThrowsReadOnly()
    {
        // A client connected to a replica from the start never sends it a write (StackExchange.Redis routes writes to
        // primaries and throws RedisConnectionException itself); READONLY reaches RedisCache when its primary is demoted.
        await using var redis = await RedisProcess.StartAsync(cancellationToken: Ct);
        await using var newPrimary = await RedisProcess.StartAsync(cancellationToken: Ct);
        await using var client = await FaultRedisClient.ConnectAsync(redis);
        await client.Cache.SetAsync("before-demotion", [1], new(), Ct);

        await redis.ExecuteAsync("REPLICAOF", newPrimary.Host, newPrimary.Port.ToString(CultureInfo.InvariantCulture));

        var error = await Assert.ThrowsAsync<RedisServerException>(() => client.Cache.SetAsync("after-demotion", [1], new(), Ct));
        Assert.StartsWith("READONLY", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_PlainStringAtEntryKey_ThrowsWrongType()
    {
        await using var redis = await RedisProcess.StartAsync(cancellationToken: Ct);
        await using var client = await FaultRedisClient.ConnectAsync(redis);
        const string key = "plain-string";

        // RedisCache stores entries as hashes: a string at the key makes its HMGET fail.
        await redis.ExecuteAsync("SET", RedisFixture.RawKey(key, FaultRedisClient.DefaultInstanceName)!, "not a hash");

        var error = await Assert.ThrowsAsync<RedisServerException>(() => client.Cache.GetAsync(key, Ct));
        Assert.StartsWith("WRONGTYPE", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DisposeAsync_Running_EndsItsOwnProcess()
    {
        var redis = await RedisProcess.StartAsync(cancellationToken: Ct);
        var pid = redis.Pid!.Value;
        using var observed = Process.GetProcessById(pid);

        await redis.DisposeAsync();

        Assert.True(observed.WaitForExit(Bound), $"redis-server pid {pid} still runs after dispose");
        Assert.False(await LoopbackProbe.PingAsync(redis.Host, redis.Port, Bound, Ct));
    }
}
