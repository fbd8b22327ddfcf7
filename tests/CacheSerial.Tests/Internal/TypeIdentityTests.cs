using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using CacheSerial.Internal;
using CacheSerial.TestSupport.Behaviour;

namespace CacheSerial.Tests.Internal;

public sealed class TypeIdentityTests
{
    [Theory]
    [InlineData(typeof(int), "System.Int32")]
    [InlineData(typeof(string), "System.String")]
    [InlineData(typeof(int?), "System.Nullable`1[System.Int32]")]
    [InlineData(typeof(int[]), "System.Int32[]")]
    [InlineData(typeof(int[,]), "System.Int32[,]")]
    [InlineData(typeof(int[][]), "System.Int32[][]")]
    [InlineData(typeof(List<string>), "System.Collections.Generic.List`1[System.String]")]
    [InlineData(typeof(Dictionary<string, List<int>>), "System.Collections.Generic.Dictionary`2[System.String,System.Collections.Generic.List`1[System.Int32]]")]
    [InlineData(typeof((int, string)), "System.ValueTuple`2[System.Int32,System.String]")]
    [InlineData(typeof(Sample), "CacheSerial.TestSupport.Behaviour.Sample")]
    [InlineData(typeof(Outer.Inner), "CacheSerial.Tests.Internal.TypeIdentityTests+Outer+Inner")]
    public void Describe_UsesNamesWithoutAssemblies(Type type, string expected)
    {
        Assert.Equal(expected, TypeIdentity.Describe(type));
    }

    [Fact]
    public void Describe_RootSchemaVersion_IsNotPartOfIdentity()
    {
        Assert.Equal("CacheSerial.TestSupport.Behaviour.VersionedSample", TypeIdentity.Describe(typeof(VersionedSample)));
        Assert.Equal(2, TypeIdentity<VersionedSample>.SchemaVersion);
    }

    [Fact]
    public void Describe_SchemaVersionOfArgumentOrElement_IsPartOfIdentity()
    {
        Assert.Equal(
            "System.Collections.Generic.List`1[CacheSerial.TestSupport.Behaviour.VersionedSample@v2]",
            TypeIdentity.Describe(typeof(List<VersionedSample>)));
        Assert.Equal("CacheSerial.TestSupport.Behaviour.VersionedSample@v2[]", TypeIdentity.Describe(typeof(VersionedSample[])));
        Assert.Equal(0, TypeIdentity<List<VersionedSample>>.SchemaVersion);
    }

    [Fact]
    public void Fingerprint_IsFirst8BytesLittleEndianOfSha256OfIdentity()
    {
        var expected = BinaryPrimitives.ReadUInt64LittleEndian(SHA256.HashData(Encoding.UTF8.GetBytes("System.Int32")));

        Assert.Equal(expected, TypeIdentity<int>.Fingerprint);
        Assert.Equal("System.Int32", TypeIdentity<int>.Identity);
    }

    [Fact]
    public void Fingerprint_DiffersForSameShapedTypes()
    {
        Assert.NotEqual(TypeIdentity<Sample>.Fingerprint, TypeIdentity<OtherSample>.Fingerprint);
        Assert.NotEqual(TypeIdentity<int>.Fingerprint, TypeIdentity<int?>.Fingerprint);
        Assert.NotEqual(TypeIdentity<List<Sample>>.Fingerprint, TypeIdentity<Sample[]>.Fingerprint);
    }

    [Fact]
    public void SchemaVersion_WithoutAttribute_IsZero()
    {
        Assert.Equal(0, TypeIdentity<Sample>.SchemaVersion);
        Assert.Equal(0, TypeIdentity.SchemaVersionOf(typeof(int)));
    }

    [Fact]
    public void SchemaVersion_IsNotInherited()
    {
        Assert.Equal(5, TypeIdentity.SchemaVersionOf(typeof(VersionedBase)));
        Assert.Equal(0, TypeIdentity.SchemaVersionOf(typeof(DerivedFromVersioned)));
    }

    [Fact]
    public void SchemaVersionAttribute_Negative_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CacheSchemaVersionAttribute(-1));
        Assert.Equal(0, new CacheSchemaVersionAttribute(0).Version);
    }

    public static class Outer
    {
        public sealed class Inner;
    }

    [CacheSchemaVersion(5)]
    public class VersionedBase;

    public sealed class DerivedFromVersioned : VersionedBase;
}
