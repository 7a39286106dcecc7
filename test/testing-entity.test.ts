import { type Entity, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it } from 'vitest';
import { GROUP, NOW, STREAM, startWithStreams } from './support/local.js';

const SERVICE: Entity = {
  keyAttributes: { Type: 'Service', Name: 'checkout', Environment: 'ec2:default' },
  attributes: { 'EC2.InstanceId': 'i-0123456789abcdef0', PlatformType: 'AWS::EC2' },
};

function putWith(entity: Entity): PutLogEventsCommand {
  return new PutLogEventsCommand({
    logGroupName: GROUP,
    logStreamName: STREAM,
    logEvents: [{ timestamp: NOW, message: 'with an entity' }],
    entity,
  });
}

describe('PutLogEvents entity', () => {
  it('accepts a valid entity and keeps it for the stream', async () => {
    // Prepare
    const { cwl, client } = await startWithStreams();

    // Act
    const response = await client.send(putWith(SERVICE));

    // Assess
    expect(response.rejectedEntityInfo).toBeUndefined();
    expect(cwl.entity(GROUP, STREAM)).toEqual(SERVICE);
    expect(cwl.stats().entities).toEqual({ accepted: 1, rejected: {} });
  });

  it.each<{
    name: string;
    keyAttributes?: Record<string, string>;
    attributes?: Record<string, string>;
    errorType: string;
  }>([
    { name: 'one key attribute', keyAttributes: { Type: 'Service' }, errorType: 'InvalidKeyAttributes' },
    {
      name: 'five key attributes',
      keyAttributes: { Type: 'Service', Name: 'a', Environment: 'b', ResourceType: 'c', Identifier: 'd' },
      errorType: 'InvalidKeyAttributes',
    },
    {
      name: 'a key name the API does not allow',
      keyAttributes: { Type: 'Service', Name: 'a', Host: 'b' },
      errorType: 'InvalidKeyAttributes',
    },
    {
      name: 'a key value of 513 characters',
      keyAttributes: { Type: 'AWS::Service', Name: 'n'.repeat(513) },
      errorType: 'InvalidKeyAttributes',
    },
    { name: 'an unknown Type', keyAttributes: { Type: 'Thing', Name: 'a' }, errorType: 'InvalidTypeValue' },
    { name: 'no Type', keyAttributes: { Name: 'a', Environment: 'b' }, errorType: 'MissingRequiredFields' },
    {
      name: 'a Service without Environment',
      keyAttributes: { Type: 'Service', Name: 'a' },
      errorType: 'MissingRequiredFields',
    },
    {
      name: 'a Resource without Identifier',
      keyAttributes: { Type: 'Resource', ResourceType: 'K8s::Pod' },
      errorType: 'MissingRequiredFields',
    },
    {
      name: 'eleven attributes',
      keyAttributes: SERVICE.keyAttributes,
      attributes: Object.fromEntries(Array.from({ length: 11 }, (_, index) => [`a${index}`, 'v'])),
      errorType: 'InvalidAttributes',
    },
    {
      name: 'an empty attribute value',
      keyAttributes: SERVICE.keyAttributes,
      attributes: { a: '' },
      errorType: 'InvalidAttributes',
    },
    { name: 'no keyAttributes', attributes: { a: 'b' }, errorType: 'MissingRequiredFields' },
  ])(
    'answers rejectedEntityInfo $errorType for $name and stores the events',
    async ({ keyAttributes, attributes, errorType }) => {
      // Prepare
      const { cwl, client } = await startWithStreams();

      // Act
      const response = await client.send(putWith({ keyAttributes, attributes }));

      // Assess
      expect(response.rejectedEntityInfo).toEqual({ errorType });
      expect(cwl.events(GROUP, STREAM).map((event) => event.message)).toEqual(['with an entity']);
      expect(cwl.entity(GROUP, STREAM)).toBeUndefined();
      expect(cwl.stats()).toMatchObject({
        eventsAccepted: 1,
        entities: { accepted: 0, rejected: { [errorType]: 1 } },
        violations: { total: 0 },
      });
    },
  );

  it('accepts the other documented types with their key attributes', async () => {
    // Prepare
    const { cwl, client } = await startWithStreams();
    const entities: Entity[] = [
      {
        keyAttributes: { Type: 'AWS::Resource', ResourceType: 'AWS::DynamoDB::Table', Identifier: 'orders' },
      },
      { keyAttributes: { Type: 'AWS::Service', Name: 'AmazonDynamoDB' } },
      { keyAttributes: { Type: 'Resource', ResourceType: 'K8s::Pod', Identifier: 'web-7f9' } },
      { keyAttributes: { Type: 'RemoteService', Name: 'payments' } },
    ];

    // Act
    const responses = [];
    for (const entity of entities) responses.push(await client.send(putWith(entity)));

    // Assess
    expect(responses.map((response) => response.rejectedEntityInfo)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(cwl.entity(GROUP, STREAM)).toEqual({ keyAttributes: entities[3]?.keyAttributes, attributes: {} });
    expect(cwl.stats().entities.accepted).toBe(4);
  });
});
