using CacheSerial.TestSupport.Behaviour;
using Microsoft.Extensions.Caching.Distributed;

namespace CacheSerial.Tests.Behaviour;

public sealed class InMemoryBulkBehaviourTests : BulkBehaviourTests
{
    protected override IDistributedCache Store { get; } = InMemoryStores.Create();
}
