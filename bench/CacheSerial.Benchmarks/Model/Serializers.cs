using MessagePack;
using MessagePack.Resolvers;

namespace CacheSerial.Benchmarks.Model;

/// <summary>The raw serializer settings the contenders without a codec of their own use.</summary>
public static class Serializers
{
    /// <summary>
    /// The settings <c>CacheSerial.MessagePack.MessagePackCodec.Default</c> uses (contractless standard resolver, which
    /// honours the <c>[MessagePackObject]</c> attributes, with untrusted-data security), so raw and codec runs compare like with like.
    /// </summary>
    public static MessagePackSerializerOptions MessagePack { get; } =
        ContractlessStandardResolver.Options.WithSecurity(MessagePackSecurity.UntrustedData);
}
