using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.IntegrationTests.StackExchangeRedis;
using CacheSerial.Internal;
using CacheSerial.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Redis;

/// <summary>
/// Clear and tag removal touch only their own cache (its key prefix) on a Redis shared with other caches, and leave
/// nothing in Redis without a bound: tag markers and tagged entries live at most TagMarkerLifetime. Each check of what
/// survives is made by a fresh cache (a new process would be), so it reads what Redis holds, not what one process knows.
/// </summary>
public sealed class ClearIsolationTests(RedisFixture redis) : RedisTestBase(redis)
{
    private const string RedisCacheStore = "RedisCache";
    private const string NativeStore = "native store";

    private static readonly CacheEntryOptions TaggedX = new() { Tags = ["x"] };

    public static TheoryData<string> Stores => new() { RedisCacheStore, NativeStore };

    [Fact]
    public async Task ClearAsync_OtherPrefixOnSameRedis_OtherCacheEntriesStayReadable()
    {
        using var cleared = CreateHarness();

        // The other prefix starts with the cleared one: the separator after a prefix keeps their keys apart.
        using var other = new CacheHarness(Redis.Cache, prefix: cleared.Prefix + "more");
        await WriteBothAsync(cleared.Cache);
        await WriteBothAsync(other.Cache);

        await cleared.Cache.ClearAsync(Ct);

        using var clearedElsewhere = new CacheHarness(Redis.Cache, prefix: cleared.Prefix);
        using var otherElsewhere = new CacheHarness(Redis.Cache, prefix: other.Prefix);
        await AssertMissesAsync(cleared.Cache);
        await AssertMissesAsync(clearedElsewhere.Cache);
        await AssertReadableAsync(other.Cache);
        await AssertReadableAsync(otherElsewhere.Cache);
        await DeleteClearMarkerAsync(RedisFixture.DefaultInstanceName, cleared);
    }

    [Fact]
    public async Task ClearAsync_EmptyPrefixAndPrefixedCache_EachLeavesTheOthersEntriesReadable()
    {
        // An instance name of its own: the empty prefix's clear marker governs every unprefixed entry under it.
        var instance = "clear-isolation-" + Guid.NewGuid().ToString("N")[..8] + ":";
        var store = Redis.CreateCache(instance);
        try
        {
            using var bare = new CacheHarness(store, prefix: string.Empty);
            using var prefixed = new CacheHarness(store);
            await WriteBothAsync(bare.Cache);
            await WriteBothAsync(prefixed.Cache);

            await bare.Cache.ClearAsync(Ct);

            using (var bareElsewhere = new CacheHarness(store, prefix: string.Empty))
            using (var prefixedElsewhere = new CacheHarness(store, prefix: prefixed.Prefix))
            {
                await AssertMissesAsync(bareElsewhere.Cache);
                await AssertReadableAsync(prefixedElsewhere.Cache);
            }

            // The clear time is this process's clock at the call's start: a write in that same millisecond counts as before it.
            await Task.Delay(TimeSpan.FromMilliseconds(5), Ct);
            await WriteBothAsync(bare.Cache);
            await prefixed.Cache.ClearAsync(Ct);

            using (var bareElsewhere = new CacheHarness(store, prefix: string.Empty))
            using (var prefixedElsewhere = new CacheHarness(store, prefix: prefixed.Prefix))
            {
                await AssertReadableAsync(bareElsewhere.Cache);
                await AssertMissesAsync(prefixedElsewhere.Cache);
            }
        }
        finally
        {
            await DeleteKeysAsync(instance + "*");
        }
    }

    [Fact]
    public async Task RemoveByTagAsync_OtherPrefixSameTag_OtherCacheEntriesStayReadable()
    {
        using var removing = CreateHarness();
        using var other = new CacheHarness(Redis.Cache, prefix: removing.Prefix + "more");
        await WriteBothAsync(removing.Cache);
        await WriteBothAsync(other.Cache);

        await removing.Cache.RemoveByTagAsync("x", Ct);

        using var removingElsewhere = new CacheHarness(Redis.Cache, prefix: removing.Prefix);
        using var otherElsewhere = new CacheHarness(Redis.Cache, prefix: other.Prefix);
        Assert.Null(await removingElsewhere.Cache.GetAsync<string>("tagged", cancellationToken: Ct));
        Assert.Equal("plain", await removingElsewhere.Cache.GetAsync<string>("plain", cancellationToken: Ct)); // untagged: untouched
        await AssertReadableAsync(other.Cache);
        await AssertReadableAsync(otherElsewhere.Cache);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task RemoveByTagAsync_MarkerAndTaggedEntries_LiveNoLongerThanTagMarkerLifetime(string storeKind)
    {
        var lifetime = TimeSpan.FromMinutes(2);
        using var h = CreateStoreHarness(storeKind, o => o.TagMarkerLifetime = lifetime);
        var longer = TimeSpan.FromHours(1);
        await h.Cache.SetAsync("tagged", "v", new CacheEntryOptions { Expiration = longer, Tags = ["x"] }, Ct);
        await h.Cache.SetAsync("untagged", "v", new CacheEntryOptions { Expiration = longer }, Ct);

        // A tagged entry is stored no longer than the marker that would drop it; the cut is the tags' (untagged keeps its hour).
        AssertTtlWithin(await Database.KeyTimeToLiveAsync(RedisKeyOf(storeKind, h.StoreKey("tagged"))), lifetime, "tagged entry");
        var untagged = await Database.KeyTimeToLiveAsync(RedisKeyOf(storeKind, h.StoreKey("untagged")));
        Assert.True(untagged > lifetime, $"untagged entry's TTL {untagged} was cut too");

        await h.Cache.RemoveByTagAsync("x", Ct);

        // The stored key format: the stored-key prefix (KeyPrefix + U+001F), then U+001D "tag:" and the tag.
        var storedPrefix = h.StoreKey("k")[..^1];
        Assert.Equal(h.Prefix + "\u001F", storedPrefix);
        var marker = RedisKeyOf(storeKind, storedPrefix + KeyBuilder.TagMarkerHead + "x");
        Assert.True(await Database.KeyExistsAsync(marker), $"no tag marker at {marker}");
        AssertTtlWithin(await Database.KeyTimeToLiveAsync(marker), lifetime, "tag marker");

        // The clear marker has no expiry (one per cache, it governs entries of any lifetime): documented, and bounded by one key.
        await h.Cache.ClearAsync(Ct);
        var clear = RedisKeyOf(storeKind, storedPrefix + KeyBuilder.ClearMarker);
        try
        {
            Assert.True(await Database.KeyExistsAsync(clear), $"no clear marker at {clear}");
            Assert.Null(await Database.KeyTimeToLiveAsync(clear));
        }
        finally
        {
            await Database.KeyDeleteAsync(clear);
        }
    }

    private CacheHarness CreateStoreHarness(string storeKind, Action<CacheSerialOptions> configure) => storeKind == NativeStore
        ? new CacheHarness(new RedisStringView(Redis.Connection), configure, b => b.UseStackExchangeRedis(Redis.Endpoint))
        : CreateHarness(configure);

    /// <summary>The Redis key of a stored key: RedisCache adds its instance name, the native store nothing.</summary>
    private static RedisKey RedisKeyOf(string storeKind, string storedKey) =>
        storeKind == NativeStore ? storedKey : RedisFixture.RawKey(storedKey);

    private static void AssertTtlWithin(TimeSpan? ttl, TimeSpan lifetime, string what)
    {
        Assert.True(ttl is { } t && t > TimeSpan.Zero && t <= lifetime, $"{what}'s TTL is {ttl?.ToString() ?? "none"}, not within (0, {lifetime}]");
    }

    private static async Task WriteBothAsync(ITypedCache cache)
    {
        await cache.SetAsync("tagged", "tagged", TaggedX, Ct);
        await cache.SetAsync("plain", "plain", cancellationToken: Ct);
    }

    private static async Task AssertReadableAsync(ITypedCache cache)
    {
        Assert.Equal("tagged", await cache.GetAsync<string>("tagged", cancellationToken: Ct));
        Assert.Equal("plain", await cache.GetAsync<string>("plain", cancellationToken: Ct));
    }

    private static async Task AssertMissesAsync(ITypedCache cache)
    {
        Assert.False((await cache.TryGetAsync<string>("tagged", cancellationToken: Ct)).HasValue);
        Assert.False((await cache.TryGetAsync<string>("plain", cancellationToken: Ct)).HasValue);
    }

    /// <summary>The clear marker has no expiry: a test's own is deleted so the shared server is not littered.</summary>
    private Task DeleteClearMarkerAsync(string instanceName, CacheHarness harness) =>
        Database.KeyDeleteAsync(RedisFixture.RawKey(harness.StoreKey("k")[..^1] + KeyBuilder.ClearMarker, instanceName));

    private async Task DeleteKeysAsync(string pattern)
    {
        var server = Redis.Connection.GetServer(Redis.Connection.GetEndPoints()[0]);
        await foreach (var key in server.KeysAsync(pattern: pattern).WithCancellation(Ct))
        {
            await Database.KeyDeleteAsync(key);
        }
    }
}
