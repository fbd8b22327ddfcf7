using System.Buffers;
using CacheSerial.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Caching.Distributed;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Backends;

/// <summary>The Garnet fixture's wrapper answers a read refused at a sliding entry's cap as Redis does, and nothing else.</summary>
public sealed class GarnetDesyncRetryCacheTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reads_NegativeExpireRefusedAtTheCap_AreMisses()
    {
        var cache = new GarnetDesyncRetryCache(new ThrowingCache("ERR invalid expire time, must be >= 0"), null!);

        Assert.Null(await cache.GetAsync("k", Ct));
        Assert.False(await cache.TryGetAsync("k", new ArrayBufferWriter<byte>(), Ct));
    }

    [Fact]
    public async Task Reads_OtherServerErrors_StillThrow()
    {
        var cache = new GarnetDesyncRetryCache(new ThrowingCache("ERR something else"), null!);

        await Assert.ThrowsAsync<RedisServerException>(() => cache.GetAsync("k", Ct));
        await Assert.ThrowsAsync<RedisServerException>(async () => await cache.TryGetAsync("k", new ArrayBufferWriter<byte>(), Ct));
    }

    private sealed class ThrowingCache(string error) : IBufferDistributedCache
    {
        public byte[]? Get(string key) => throw new RedisServerException(error);

        public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => throw new RedisServerException(error);

        public bool TryGet(string key, IBufferWriter<byte> destination) => throw new RedisServerException(error);

        public ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default) =>
            throw new RedisServerException(error);

        public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => throw new NotSupportedException();

        public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) => throw new NotSupportedException();

        public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options) => throw new NotSupportedException();

        public ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default) => throw new NotSupportedException();

        public void Refresh(string key) => throw new NotSupportedException();

        public Task RefreshAsync(string key, CancellationToken token = default) => throw new NotSupportedException();

        public void Remove(string key) => throw new NotSupportedException();

        public Task RemoveAsync(string key, CancellationToken token = default) => throw new NotSupportedException();
    }
}
