using System.Text;
using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.StackExchangeRedis.Internal;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.StackExchangeRedis;

/// <summary>The native store's bulk calls: MGET (or pipelined GETEX) for reads, one pipelined batch of SET PX for writes.</summary>
public sealed class RedisCacheStoreBulkTests(RedisFixture redis) : NativeRedisTestBase(redis)
{
    [Fact]
    public async Task GetManyAsync_PresentAndAbsentKeys_ValuesInOrderAndNullForAbsent()
    {
        using var h = CreateNativeHarness();
        var keys = new[] { h.StoreKey("a"), h.StoreKey("missing"), h.StoreKey("b") };
        await Database.StringSetAsync(keys[0], "one", TimeSpan.FromMinutes(1), When.Always);
        await Database.StringSetAsync(keys[2], "two", TimeSpan.FromMinutes(1), When.Always);

        var values = await StoreOf(h).GetManyAsync(keys, slidingExpiration: null, Ct);

        Assert.Equal(3, values.Length);
        Assert.Equal("one", Encoding.UTF8.GetString(values[0].Data.Span));
        Assert.False(values[1].HasValue);
        Assert.Equal("two", Encoding.UTF8.GetString(values[2].Data.Span));
    }

    [Fact]
    public async Task GetManyAsync_WithSlidingExpiration_RenewsEveryPresentKey()
    {
        using var h = CreateNativeHarness();
        var keys = new[] { h.StoreKey("a"), h.StoreKey("missing"), h.StoreKey("b") };
        await Database.StringSetAsync(keys[0], "one", TimeSpan.FromSeconds(5), When.Always);
        await Database.StringSetAsync(keys[2], "two", TimeSpan.FromSeconds(5), When.Always);

        var values = await StoreOf(h).GetManyAsync(keys, TimeSpan.FromMinutes(1), Ct);

        Assert.Equal("one", Encoding.UTF8.GetString(values[0].Data.Span));
        Assert.False(values[1].HasValue);
        Assert.Equal("two", Encoding.UTF8.GetString(values[2].Data.Span));
        foreach (var key in new[] { keys[0], keys[2] })
        {
            var pttl = await Database.KeyTimeToLiveAsync(key);
            Assert.NotNull(pttl);
            Assert.InRange(pttl.Value, TimeSpan.FromSeconds(5.001), TimeSpan.FromMinutes(1));
        }

        Assert.False(await Database.KeyExistsAsync(keys[1]));
    }

    [Fact]
    public async Task SetManyAsync_Entries_EachStoredAsStringWithItsOwnTtl()
    {
        using var h = CreateNativeHarness();
        var entries = new[]
        {
            new CacheStoreEntry(h.StoreKey("a"), "one"u8.ToArray(), new CacheStoreEntryOptions(TimeSpan.FromMilliseconds(60_500), null)),
            new CacheStoreEntry(h.StoreKey("b"), "two"u8.ToArray(), new CacheStoreEntryOptions(TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(30))),
            new CacheStoreEntry(h.StoreKey("c"), "three"u8.ToArray(), new CacheStoreEntryOptions(null, null)),
        };

        await StoreOf(h).SetManyAsync(entries, Ct);

        Assert.Equal("one", (string?)await Database.StringGetAsync(entries[0].Key));
        Assert.Equal("two", (string?)await Database.StringGetAsync(entries[1].Key));
        Assert.Equal("three", (string?)await Database.StringGetAsync(entries[2].Key));
        Assert.InRange((await Database.KeyTimeToLiveAsync(entries[0].Key))!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(60_500));
        Assert.InRange((await Database.KeyTimeToLiveAsync(entries[1].Key))!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(30));
        Assert.Null(await Database.KeyTimeToLiveAsync(entries[2].Key)); // no TTL asked, none set
        await Database.KeyDeleteAsync(entries[2].Key);
    }

    [Fact]
    public async Task GetManyAndSetManyAsync_EmptyInput_MakeNoCallAndDoNotConnect()
    {
        // Nothing listens on port 1: any call would have to connect first.
        using var store = new RedisCacheStore(
            new RedisConnection(ConfigurationOptions.Parse("127.0.0.1:1,abortConnect=false,connectTimeout=200"), -1),
            new CacheSerial.StackExchangeRedis.RedisCacheStoreOptions());

        var values = await store.GetManyAsync([], TimeSpan.FromMinutes(1), Ct);
        await store.SetManyAsync([], Ct);

        Assert.Empty(values);
        Assert.Null(store.Connection.OwnedMultiplexer);
    }
}
