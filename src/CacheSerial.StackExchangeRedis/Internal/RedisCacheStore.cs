using System.Buffers;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace CacheSerial.StackExchangeRedis.Internal;

/// <summary>
/// The native Redis store: each entry is one plain Redis string holding the envelope, with the store lifetime as the
/// key's own TTL. One command per call: GET (GETEX when the read names a sliding expiration), SET with a millisecond
/// TTL (the client sends PSETEX), DEL (sent as UNLINK), PEXPIRE; bulk reads are one MGET (on a cluster one MGET per hash
/// slot, pipelined), bulk writes one pipelined batch of single-key SETs (each routed to its key's node).
/// </summary>
/// <remarks>
/// Redis cannot know an entry's absolute cap when a read renews it, so a sliding entry's bytes may outlive the cap by up
/// to one sliding window; the envelope's logical expiry still makes it a miss at the cap.
/// Redis' own client takes no cancellation token: a call is cancelled before it is sent, and the cache stops waiting for
/// it at its deadline.
/// </remarks>
internal sealed class RedisCacheStore : ICacheStore, IDisposable, IAsyncDisposable
{
    public RedisCacheStore(RedisConnection connection, RedisCacheStoreOptions options, string cacheName = "", ILogger? logger = null)
    {
        Connection = connection;
        DistributedLock = options.DistributedLock ? new RedisCacheStoreLock(connection, options.LockLease, options.LockWaitTimeout) : null;
        Invalidation = options.ClientTracking ? new RedisClientTracking(connection, cacheName, logger ?? NullLogger.Instance) : null;
    }

    public RedisConnection Connection { get; }

    public ICacheStoreLock? DistributedLock { get; }

    /// <summary>Server-assisted invalidation (<see cref="RedisCacheStoreOptions.ClientTracking"/>), or null when off.</summary>
    public ICacheStoreInvalidation? Invalidation { get; }

    // Pooled state machine: the cache awaits each read once, and a hit then allocates nothing here. The client's leased
    // buffer is handed to the cache as is: no copy.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<CacheStoreLease> GetAsync(string key, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var database = await Connection.GetDatabaseAsync().ConfigureAwait(false);
        try
        {
            if (slidingExpiration is { } sliding)
            {
                // GETEX has no leased form in StackExchange.Redis: the value arrives as one array, taken as is.
                var value = await database.StringGetSetExpiryAsync(key, Milliseconds(sliding)).ConfigureAwait(false);
                return value.IsNull ? CacheStoreLease.None : new CacheStoreLease((ReadOnlyMemory<byte>)value);
            }

            var lease = await database.StringGetLeaseAsync(key).ConfigureAwait(false);
            return lease is null ? CacheStoreLease.None : new CacheStoreLease(lease.Memory, lease);
        }
        catch (RedisServerException ex) when (IsWrongType(ex))
        {
            throw WrongType(ex);
        }
    }

    public async ValueTask SetAsync(string key, ReadOnlySequence<byte> value, CacheStoreEntryOptions options, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var database = await Connection.GetDatabaseAsync().ConfigureAwait(false);
        await database.StringSetAsync(key, ToRedisValue(value), TimeToLive(options), When.Always).ConfigureAwait(false);
    }

    public async ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var database = await Connection.GetDatabaseAsync().ConfigureAwait(false);
        await database.KeyDeleteAsync(key).ConfigureAwait(false);
    }

    /// <summary>
    /// PEXPIRE with the cache's default sliding expiration. The key itself does not record its window, so without a
    /// default sliding expiration there is nothing to renew it by, and this makes no call.
    /// </summary>
    public async ValueTask RefreshAsync(string key, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (slidingExpiration is not { } sliding)
        {
            return;
        }

        var database = await Connection.GetDatabaseAsync().ConfigureAwait(false);
        await database.KeyExpireAsync(key, Milliseconds(sliding)).ConfigureAwait(false);
    }

    public async ValueTask<CacheStoreLease[]> GetManyAsync(IReadOnlyList<string> keys, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        cancellationToken.ThrowIfCancellationRequested();
        if (keys.Count == 0)
        {
            return [];
        }

        var database = await Connection.GetDatabaseAsync().ConfigureAwait(false);
        RedisValue[] values;
        try
        {
            values = await ReadManyAsync(database, keys, slidingExpiration).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (IsWrongType(ex))
        {
            throw WrongType(ex);
        }

        var results = new CacheStoreLease[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            results[i] = values[i].IsNull ? CacheStoreLease.None : new CacheStoreLease((ReadOnlyMemory<byte>)values[i]);
        }

        return results;
    }

    private static async Task<RedisValue[]> ReadManyAsync(IDatabase database, IReadOnlyList<string> keys, TimeSpan? slidingExpiration)
    {
        RedisValue[] values;
        if (slidingExpiration is { } sliding)
        {
            // GETEX takes one key: one pipelined batch, which the client sends to each node in one write.
            var window = Milliseconds(sliding);
            var batch = database.CreateBatch();
            var reads = new Task<RedisValue>[keys.Count];
            for (var i = 0; i < reads.Length; i++)
            {
                reads[i] = batch.StringGetSetExpiryAsync(keys[i], window);
            }

            batch.Execute();
            values = await Task.WhenAll(reads).ConfigureAwait(false);
        }
        else if (IsCluster(database))
        {
            values = await GetBySlotAsync(database, keys).ConfigureAwait(false);
        }
        else
        {
            var redisKeys = new RedisKey[keys.Count];
            for (var i = 0; i < redisKeys.Length; i++)
            {
                redisKeys[i] = keys[i];
            }

            values = await database.StringGetAsync(redisKeys).ConfigureAwait(false);
        }

        return values;
    }

    public async ValueTask SetManyAsync(IReadOnlyList<CacheStoreEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        cancellationToken.ThrowIfCancellationRequested();
        if (entries.Count == 0)
        {
            return;
        }

        var database = await Connection.GetDatabaseAsync().ConfigureAwait(false);
        var batch = database.CreateBatch();
        var writes = new Task[entries.Count];
        for (var i = 0; i < writes.Length; i++)
        {
            var entry = entries[i];
            writes[i] = batch.StringSetAsync(entry.Key, entry.Value, TimeToLive(entry.Options), When.Always);
        }

        batch.Execute();
        await Task.WhenAll(writes).ConfigureAwait(false); // SET replaces a value of any kind: no WRONGTYPE here
    }

    public void Dispose() => Connection.Dispose();

    public ValueTask DisposeAsync() => Connection.DisposeAsync();

    /// <summary>
    /// A time in whole milliseconds, rounded up and at least 1: Redis counts in milliseconds, and the client truncates
    /// (0 would be an error, a shorter time an earlier expiry than asked).
    /// </summary>
    internal static TimeSpan Milliseconds(TimeSpan value) =>
        TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling(value.TotalMilliseconds)));

    private static TimeSpan? TimeToLive(CacheStoreEntryOptions options) =>
        options.InitialTimeToLive is { } ttl ? Milliseconds(ttl) : null;

    // The cache's write buffer is one segment: passed to the client as is. A chained sequence is flattened once.
    private static RedisValue ToRedisValue(ReadOnlySequence<byte> value) =>
        value.IsSingleSegment ? value.First : value.ToArray();

    /// <summary>
    /// On a cluster an MGET's keys must share a hash slot (else CROSSSLOT): one MGET per slot, all in one pipelined batch
    /// (the client routes each to the slot's primary), the values put back in the callers' order.
    /// Keys with a common hash tag ({tag}) share a slot, so they cost one MGET. A slot whose MGET is refused with
    /// TRYAGAIN (it is half-way through a live migration) is read with one GET per key instead.
    /// </summary>
    private static async Task<RedisValue[]> GetBySlotAsync(IDatabase database, IReadOnlyList<string> keys)
    {
        var multiplexer = database.Multiplexer;
        var slots = new Dictionary<int, List<int>>();
        for (var i = 0; i < keys.Count; i++)
        {
            var slot = multiplexer.HashSlot(keys[i]);
            if (!slots.TryGetValue(slot, out var indices))
            {
                slots[slot] = indices = [];
            }

            indices.Add(i);
        }

        var groups = new List<int>[slots.Count];
        var reads = new Task<RedisValue[]>[slots.Count];
        var batch = database.CreateBatch();
        var n = 0;
        foreach (var indices in slots.Values)
        {
            var slotKeys = new RedisKey[indices.Count];
            for (var j = 0; j < slotKeys.Length; j++)
            {
                slotKeys[j] = keys[indices[j]];
            }

            groups[n] = indices;
            reads[n++] = batch.StringGetAsync(slotKeys);
        }

        batch.Execute();

        List<int>? retry = null;
        try
        {
            // Awaiting all of them observes every failure (no unobserved task exception when one node fails).
            await Task.WhenAll(reads).ConfigureAwait(false);
        }
        catch (RedisServerException) when (reads.All(r => r.IsCompletedSuccessfully || IsTryAgain(r.Exception)))
        {
            // A slot being migrated live serves a multi-key command only while all its keys are on one side: an MGET over
            // keys of which some have moved gets TRYAGAIN, which the client does not retry. Those keys are read one by
            // one below; each GET is redirected (ASK) to wherever its key is.
            retry = [];
        }

        var values = new RedisValue[keys.Count];
        for (var g = 0; g < groups.Length; g++)
        {
            if (!reads[g].IsCompletedSuccessfully)
            {
                retry!.AddRange(groups[g]);
                continue;
            }

            var slotValues = reads[g].Result;
            for (var j = 0; j < slotValues.Length; j++)
            {
                values[groups[g][j]] = slotValues[j];
            }
        }

        if (retry is not null)
        {
            var again = database.CreateBatch();
            var singles = new Task<RedisValue>[retry.Count];
            for (var i = 0; i < singles.Length; i++)
            {
                singles[i] = again.StringGetAsync(keys[retry[i]]);
            }

            again.Execute();
            var retried = await Task.WhenAll(singles).ConfigureAwait(false);
            for (var i = 0; i < retried.Length; i++)
            {
                values[retry[i]] = retried[i];
            }
        }

        return values;
    }

    /// <summary>A key holds another client's value of another kind (a hash, a list...): Redis answers WRONGTYPE.</summary>
    private static bool IsWrongType(RedisServerException exception) =>
        exception.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal);

    private static CacheStoreWrongTypeException WrongType(RedisServerException exception) => new(exception.Message, exception);

    private static bool IsTryAgain(AggregateException? exception) =>
        exception?.InnerException is RedisServerException server && server.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal);

    private static bool IsCluster(IDatabase database)
    {
        foreach (var server in database.Multiplexer.GetServers())
        {
            if (server.ServerType == ServerType.Cluster)
            {
                return true;
            }
        }

        return false;
    }
}
