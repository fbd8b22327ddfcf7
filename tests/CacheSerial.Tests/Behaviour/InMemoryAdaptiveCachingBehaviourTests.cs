using CacheSerial.TestSupport.Behaviour;
using Microsoft.Extensions.Caching.Distributed;

namespace CacheSerial.Tests.Behaviour;

public sealed class InMemoryAdaptiveCachingBehaviourTests : AdaptiveCachingBehaviourTests
{
    protected override IDistributedCache Store { get; } = InMemoryStores.Create();
}
