import {
  AdminAddUserToGroupCommand,
  AdminRemoveUserFromGroupCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  DeleteGroupCommand,
  GroupExistsException,
  ResourceNotFoundException,
} from "@aws-sdk/client-cognito-identity-provider";
import type { IdentityConfig } from "../config.ts";
import { type IdentityDirectory, IdentityDirectoryError } from "./identity-directory.ts";

type CognitoConfig = Extract<IdentityConfig, { directory: "cognito" }>;

/**
 * Amazon Cognito user pool groups through the official SDK: CreateGroup for an organization's group,
 * AdminAddUserToGroup for memberships. "Already exists" and "not found" are success for idempotency.
 */
export function createCognitoDirectory(config: CognitoConfig): IdentityDirectory {
  const client = new CognitoIdentityProviderClient({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    maxAttempts: 2,
  });
  const UserPoolId = config.userPoolId;

  async function call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof IdentityDirectoryError) throw error;
      const name = error instanceof Error ? error.name : "Error";
      const message = error instanceof Error ? error.message : String(error);
      throw new IdentityDirectoryError(
        `Cognito ${operation} failed: ${name}: ${message}`,
        operation,
        {
          cause: error,
        },
      );
    }
  }

  return {
    name: "cognito",
    async createGroup({ groupName, description }) {
      return call("CreateGroup", async () => {
        try {
          await client.send(
            new CreateGroupCommand({ UserPoolId, GroupName: groupName, Description: description }),
          );
          return { created: true };
        } catch (error) {
          if (error instanceof GroupExistsException) return { created: false };
          throw error;
        }
      });
    },
    async deleteGroup({ groupName }) {
      await call("DeleteGroup", async () => {
        try {
          await client.send(new DeleteGroupCommand({ UserPoolId, GroupName: groupName }));
        } catch (error) {
          if (!(error instanceof ResourceNotFoundException)) throw error;
        }
      });
    },
    async addUserToGroup({ userId, groupName }) {
      await call("AdminAddUserToGroup", () =>
        client.send(
          new AdminAddUserToGroupCommand({ UserPoolId, Username: userId, GroupName: groupName }),
        ),
      );
    },
    async removeUserFromGroup({ userId, groupName }) {
      await call("AdminRemoveUserFromGroup", async () => {
        try {
          await client.send(
            new AdminRemoveUserFromGroupCommand({
              UserPoolId,
              Username: userId,
              GroupName: groupName,
            }),
          );
        } catch (error) {
          if (!(error instanceof ResourceNotFoundException)) throw error;
        }
      });
    },
  };
}
