using CacheSerial.IntegrationTests.Infrastructure;

// One Redis server for the whole assembly; every test class that takes a RedisFixture in its constructor shares it.
[assembly: AssemblyFixture(typeof(RedisFixture))]
