using CacheSerial.Benchmarks.Compare.Contenders;

namespace CacheSerial.Benchmarks.Compare;

/// <summary>The contenders of a comparison run, in report order. Add new stacks here (a class per contender).</summary>
public static class ContenderCatalog
{
    /// <summary>The row the report's second ratio column compares with.</summary>
    public const string ReferenceName = "HybridCache (distributed only)";

    public static IReadOnlyList<ICacheContender> CreateAll() =>
    [
        new CacheSerialContender(CacheSerialCodec.Json),
        new CacheSerialContender(CacheSerialCodec.MessagePack),
        new CacheSerialContender(CacheSerialCodec.Json, CacheSerialStore.Native),
        new CacheSerialContender(CacheSerialCodec.MessagePack, CacheSerialStore.Native),
        new CacheSerialContender(CacheSerialCodec.Json, CacheSerialStore.NativeWithLock),
        new CacheSerialContender(CacheSerialCodec.Json, CacheSerialStore.Native, CacheSerialMemory.Decoded),
        new CacheSerialContender(CacheSerialCodec.MessagePack, CacheSerialStore.Native, CacheSerialMemory.Decoded),
        new CacheSerialContender(CacheSerialCodec.Json, CacheSerialStore.Native, CacheSerialMemory.Shared),
        new HybridCacheContender(localCache: false),
        new HybridCacheContender(localCache: true),
        new FusionCacheContender(memory: false),
        new FusionCacheContender(memory: true),
        new RedisCacheContender(),
        new RawRedisContender(),
    ];
}
