using CacheSerial.TestSupport.Behaviour;
using Microsoft.Extensions.Caching.Distributed;

namespace CacheSerial.Tests.Behaviour;

public sealed class InMemoryTagBehaviourTests : TagBehaviourTests
{
    protected override IDistributedCache Store { get; } = InMemoryStores.Create();
}
