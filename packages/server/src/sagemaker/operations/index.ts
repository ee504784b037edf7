import type { Handler } from '../context.js';
import {
  createArtifact,
  deleteArtifact,
  describeArtifact,
  listArtifacts,
  updateArtifact,
} from './artifacts.js';
import { addAssociation, deleteAssociation, listAssociations } from './associations.js';
import { describeLineageGroup, listLineageGroups } from './lineage-groups.js';
import {
  createAction,
  createContext,
  deleteAction,
  deleteContext,
  describeAction,
  describeContext,
  listActions,
  listContexts,
  updateAction,
  updateContext,
} from './named.js';
import { queryLineage } from './query-lineage.js';
import { addTags, deleteTags, listTags } from './tags.js';

/** Every operation of the model, by its `X-Amz-Target` name. */
export const operations: Record<string, Handler> = {
  CreateArtifact: createArtifact,
  DescribeArtifact: describeArtifact,
  UpdateArtifact: updateArtifact,
  DeleteArtifact: deleteArtifact,
  ListArtifacts: listArtifacts,
  CreateContext: createContext,
  DescribeContext: describeContext,
  UpdateContext: updateContext,
  DeleteContext: deleteContext,
  ListContexts: listContexts,
  CreateAction: createAction,
  DescribeAction: describeAction,
  UpdateAction: updateAction,
  DeleteAction: deleteAction,
  ListActions: listActions,
  AddAssociation: addAssociation,
  DeleteAssociation: deleteAssociation,
  ListAssociations: listAssociations,
  QueryLineage: queryLineage,
  AddTags: addTags,
  ListTags: listTags,
  DeleteTags: deleteTags,
  DescribeLineageGroup: describeLineageGroup,
  ListLineageGroups: listLineageGroups,
};
