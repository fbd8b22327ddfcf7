using CacheSerial.TestSupport.Behaviour;
using CacheSerial.Tests.Behaviour;
using Microsoft.Extensions.Caching.Distributed;

namespace CacheSerial.Tests.Hybrid;

public sealed class InMemoryHybridCacheBehaviourTests : HybridCacheBehaviourTests
{
    protected override IDistributedCache Store { get; } = InMemoryStores.Create();
}
