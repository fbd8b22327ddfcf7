using System.Buffers;
using CacheSerial.IntegrationTests.Faults;
using CacheSerial.StackExchangeRedis;
using CacheSerial.StackExchangeRedis.Internal;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.StackExchangeRedis;

/// <summary>
/// One command per store call, counted by the server itself (INFO commandstats after CONFIG RESETSTAT) on a private
/// redis-server, so no other test's traffic is counted. Only data commands are compared: the client's own upkeep
/// (PING, INFO, SELECT, CLIENT, CLUSTER, SUBSCRIBE) is left out.
/// </summary>
public sealed class RedisCacheStoreCommandTests : IAsyncLifetime
{
    private static readonly HashSet<string> DataCommands =
        ["get", "getex", "set", "setex", "psetex", "mget", "del", "unlink", "expire", "pexpire", "eval", "evalsha", "script", "hget", "hmget", "exists"];

    // Not whole seconds, so the client sends the millisecond forms (PSETEX, PEXPIRE).
    private static readonly CacheStoreEntryOptions Ttl = new(TimeSpan.FromMilliseconds(90_500), null);
    private static readonly TimeSpan Sliding = TimeSpan.FromMilliseconds(60_500);

    private RedisProcess? _redis;
    private ConnectionMultiplexer? _connection;
    private RedisCacheStore? _store;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private RedisCacheStore Store => _store!;

    // A read, its lease given back as the cache does.
    private async Task ReadAsync(string key, TimeSpan? sliding)
    {
        using var lease = await Store.GetAsync(key, sliding, Ct);
        Assert.True(lease.HasValue);
    }

    public async ValueTask InitializeAsync()
    {
        _redis = await RedisProcess.StartAsync(cancellationToken: Ct);
        _connection = await ConnectionMultiplexer.ConnectAsync(_redis.Endpoint + ",allowAdmin=true");
        _store = new RedisCacheStore(new RedisConnection(_connection, -1), new RedisCacheStoreOptions { DistributedLock = true });
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    [Fact]
    public async Task SetAsync_OnePsetex()
    {
        Assert.Equal("psetex=1", await CountAsync(() => Store.SetAsync("k", new ReadOnlySequence<byte>([1, 2]), Ttl, Ct).AsTask()));
    }

    [Fact]
    public async Task GetAsync_OneGet()
    {
        await Store.SetAsync("k", new ReadOnlySequence<byte>([1, 2]), Ttl, Ct);

        Assert.Equal("get=1", await CountAsync(() => ReadAsync("k", null)));
    }

    [Fact]
    public async Task GetAsync_Sliding_OneGetex()
    {
        await Store.SetAsync("k", new ReadOnlySequence<byte>([1, 2]), Ttl, Ct);

        Assert.Equal("getex=1", await CountAsync(() => ReadAsync("k", Sliding)));
    }

    [Fact]
    public async Task RefreshAsync_Sliding_OnePexpire()
    {
        await Store.SetAsync("k", new ReadOnlySequence<byte>([1, 2]), Ttl, Ct);

        Assert.Equal("pexpire=1", await CountAsync(() => Store.RefreshAsync("k", Sliding, Ct).AsTask()));
    }

    [Fact]
    public async Task RefreshAsync_NoSliding_NoCommand()
    {
        Assert.Equal(string.Empty, await CountAsync(() => Store.RefreshAsync("k", null, Ct).AsTask()));
    }

    [Fact]
    public async Task RemoveAsync_OneDelete()
    {
        var counted = await CountAsync(() => Store.RemoveAsync("k", Ct).AsTask());

        Assert.Contains(counted, new[] { "del=1", "unlink=1" });
    }

    [Fact]
    public async Task GetManyAsync_TenKeys_OneMget()
    {
        var keys = Enumerable.Range(0, 10).Select(i => "k" + i).ToArray();

        Assert.Equal("mget=1", await CountAsync(() => Store.GetManyAsync(keys, null, Ct).AsTask()));
    }

    [Fact]
    public async Task GetManyAsync_SlidingThreeKeys_ThreeGetexInOneBatch()
    {
        Assert.Equal("getex=3", await CountAsync(() => Store.GetManyAsync(["a", "b", "c"], Sliding, Ct).AsTask()));
    }

    [Fact]
    public async Task SetManyAsync_ThreeEntries_ThreePsetexInOneBatch()
    {
        CacheStoreEntry[] entries = [new("a", new byte[] { 1 }, Ttl), new("b", new byte[] { 2 }, Ttl), new("c", new byte[] { 3 }, Ttl)];

        Assert.Equal("psetex=3", await CountAsync(() => Store.SetManyAsync(entries, Ct).AsTask()));
    }

    [Fact]
    public async Task DistributedLock_AcquireAndRelease_OneSetAndOneScript()
    {
        var locks = Store.DistributedLock!;
        string? token = null;

        var acquire = await CountAsync(async () => token = await locks.TryAcquireAsync("k", Ct));
        var release = await CountAsync(() => locks.ReleaseAsync("k", token!, Ct).AsTask());

        Assert.Equal("set=1", acquire); // SET NX PX
        // One script call; the server counts the GET and DEL it runs inside it too.
        Assert.Contains(release, new[] { "del=1 eval=1 get=1", "del=1 evalsha=1 get=1" });
    }

    /// <summary>The data commands the server ran during <paramref name="call"/>, as "name=calls" sorted by name.</summary>
    private async Task<string> CountAsync(Func<Task> call)
    {
        var server = _connection!.GetServer(_redis!.Endpoint);
        await server.ExecuteAsync("CONFIG", "RESETSTAT");
        await call();
        var info = (string)(await server.ExecuteAsync("INFO", "commandstats"))!;
        return string.Join(" ", info.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.StartsWith("cmdstat_", StringComparison.Ordinal))
            .Select(line => (Name: line[8..line.IndexOf(':', StringComparison.Ordinal)], Calls: line.Split("calls=")[1].Split(',')[0]))
            .Where(c => DataCommands.Contains(c.Name))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => $"{c.Name}={c.Calls}"));
    }
}
